import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DevSecrets {
  JWT_SIGNING_KEYS: string;
  API_KEY_PEPPER: string;
}

/**
 * Development only: secrets generated once and kept in `<dataDir>/dev-secrets.json`, so tokens and
 * keys stay valid across restarts of `npm start` and the admin CLI shares them.
 */
export function loadOrCreateDevSecrets(dataDir: string): DevSecrets {
  const path = join(dataDir, 'dev-secrets.json');
  try {
    const stored = JSON.parse(readFileSync(path, 'utf8')) as Partial<DevSecrets>;
    if (stored.JWT_SIGNING_KEYS && stored.API_KEY_PEPPER) {
      return { JWT_SIGNING_KEYS: stored.JWT_SIGNING_KEYS, API_KEY_PEPPER: stored.API_KEY_PEPPER };
    }
  } catch {
    // absent or unreadable: make new ones below
  }
  const secrets: DevSecrets = {
    JWT_SIGNING_KEYS: `dev-${randomBytes(4).toString('hex')}:${randomBytes(32).toString('base64url')}`,
    API_KEY_PEPPER: randomBytes(32).toString('base64url'),
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}
