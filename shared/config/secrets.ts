import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Settings that may come from a mounted secret file as well as from the environment. */
export const secretSettings = {
  JWT_SIGNING_KEYS: 'jwt-signing-keys',
  API_KEY_PEPPER: 'api-key-pepper',
  REDIS_PASSWORD: 'redis-password',
  REDIS_SENTINEL_PASSWORD: 'redis-sentinel-password',
  LOKI_PASSWORD: 'loki-password',
  LOKI_BEARER_TOKEN: 'loki-bearer-token',
  AUDIT_OFFLOAD_TOKEN: 'audit-offload-token',
} as const;

export const defaultSecretsDir = '/var/openfaas/secrets';

/**
 * The environment with each secret setting filled from `<secretsDir>/<name>` when the variable
 * itself is unset (OpenFaaS mounts secrets there; Knative can mount them the same way).
 */
export function withSecretFiles(env: Record<string, string | undefined>, secretsDir: string): Record<string, string | undefined> {
  const merged = { ...env };
  for (const [variable, fileName] of Object.entries(secretSettings)) {
    if (merged[variable] !== undefined && merged[variable] !== '') continue;
    const value = readSecretFile(join(secretsDir, fileName));
    if (value !== undefined) merged[variable] = value;
  }
  return merged;
}

function readSecretFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}
