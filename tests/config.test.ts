import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { createKeyring } from '../shared/auth/jwt.js';
import { ConfigError, loadConfig, parseSigningKeys } from '../shared/config/config.js';

// ---------------------------------------------------------------------------------------------
// helpers

const jwtKeys = 'test-1:0123456789abcdef0123456789abcdef';
const pepper = 'pepper-0123456789abcdef0123456789';
const secret32 = 'abcdefghijklmnopqrstuvwxyz012345';
const missingSecretsDir = join(tmpdir(), 'keyward-no-secrets-here');

const dirs: string[] = [];
function tempDir(prefix = 'keyward-config-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The ConfigError `run` throws (fails the test when it throws nothing or something else). */
function configErrorOf(run: () => unknown): ConfigError {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  return thrown as ConfigError;
}

// ---------------------------------------------------------------------------------------------

describe('config: defaults', () => {
  it('has the documented defaults when only the two secrets are given', () => {
    const dataDir = tempDir();
    const config = loadConfig({ env: { JWT_SIGNING_KEYS: jwtKeys, API_KEY_PEPPER: pepper, KEYWARD_DATA_DIR: dataDir }, secretsDir: missingSecretsDir });
    expect(config.port).toBe(8080);
    expect(config.passwords.bcryptCost).toBe(12);
    expect(config.limits.bodyBytes).toBe(1024 * 1024);
    expect(config.jwt.algorithm).toBe('HS256');
    expect(config.jwt.ttlSeconds).toBe(1800);
    expect(config.jwt.issuer).toBe('keyward');
    expect(config.jwt.audience).toBe('keyward');
    expect(config.logLevel).toBe('info');
    expect(config.production).toBe(false);
    expect(config.audit.includeValues).toBe(false);
    expect(config.http.shutdownGraceMs).toBe(10_000);
    expect(config.apiKeys).toEqual({ pepper, defaultPrefix: 'kw', maxPerTenant: 100_000, maxIdentitiesPerTenant: 100_000 });
    expect(config.host).toBe('127.0.0.1');
    expect(config.jwt.signingKeys).toEqual([{ kid: 'test-1', secret: '0123456789abcdef0123456789abcdef' }]);
  });

  it('reads the values it is given', () => {
    const config = loadConfig({
      env: {
        JWT_SIGNING_KEYS: jwtKeys,
        API_KEY_PEPPER: pepper,
        PORT: '9091',
        BCRYPT_COST: '10',
        BODY_LIMIT_BYTES: '2048',
        JWT_ALGORITHM: 'HS512',
        ACCESS_TOKEN_TTL_S: '600',
        AUDIT_INCLUDE_VALUES: 'true',
        LOG_LEVEL: 'debug',
        REDIS_URL: 'rediss://cache.example:6380',
      },
      secretsDir: missingSecretsDir,
    });
    expect(config.port).toBe(9091);
    expect(config.passwords.bcryptCost).toBe(10);
    expect(config.limits.bodyBytes).toBe(2048);
    expect(config.jwt.algorithm).toBe('HS512');
    expect(config.jwt.ttlSeconds).toBe(600);
    expect(config.audit.includeValues).toBe(true);
    expect(config.logLevel).toBe('debug');
    expect(config.redis.url).toBe('rediss://cache.example:6380');
  });
});

describe('config: production refuses to start without its secrets', () => {
  it('names JWT_SIGNING_KEYS when it is missing', () => {
    const error = configErrorOf(() => loadConfig({ env: { NODE_ENV: 'production', API_KEY_PEPPER: pepper }, secretsDir: missingSecretsDir }));
    expect(error.message).toContain('JWT_SIGNING_KEYS');
    expect(error.message).not.toContain('API_KEY_PEPPER');
  });

  it('names API_KEY_PEPPER when it is missing', () => {
    const error = configErrorOf(() => loadConfig({ env: { NODE_ENV: 'production', JWT_SIGNING_KEYS: jwtKeys }, secretsDir: missingSecretsDir }));
    expect(error.message).toContain('API_KEY_PEPPER');
    expect(error.message).not.toContain('JWT_SIGNING_KEYS');
  });

  it('names both when both are missing, and writes no dev secrets', () => {
    const dataDir = tempDir();
    const error = configErrorOf(() => loadConfig({ env: { NODE_ENV: 'production', KEYWARD_DATA_DIR: dataDir }, secretsDir: missingSecretsDir }));
    expect(error.message).toContain('JWT_SIGNING_KEYS');
    expect(error.message).toContain('API_KEY_PEPPER');
    expect(() => statSync(join(dataDir, 'dev-secrets.json'))).toThrow();
  });

  it('treats an empty variable as missing', () => {
    const error = configErrorOf(() => loadConfig({ env: { NODE_ENV: 'production', JWT_SIGNING_KEYS: '', API_KEY_PEPPER: pepper }, secretsDir: missingSecretsDir }));
    expect(error.message).toContain('JWT_SIGNING_KEYS');
  });

  it('refuses a signing key or pepper shorter than 32 bytes', () => {
    const shortKey = configErrorOf(() =>
      loadConfig({ env: { NODE_ENV: 'production', JWT_SIGNING_KEYS: 'k1:too-short-secret', API_KEY_PEPPER: pepper }, secretsDir: missingSecretsDir }),
    );
    expect(shortKey.message).toMatch(/32/);
    expect(shortKey.message).toContain('k1');
    const shortSecond = configErrorOf(() =>
      loadConfig({ env: { NODE_ENV: 'production', JWT_SIGNING_KEYS: `k1:${secret32},k2:short`, API_KEY_PEPPER: pepper }, secretsDir: missingSecretsDir }),
    );
    expect(shortSecond.message).toContain('k2');
    const shortPepper = configErrorOf(() =>
      loadConfig({ env: { NODE_ENV: 'production', JWT_SIGNING_KEYS: jwtKeys, API_KEY_PEPPER: 'short-pepper' }, secretsDir: missingSecretsDir }),
    );
    expect(shortPepper.message).toContain('API_KEY_PEPPER');
  });

  it('starts with both secrets of 32 bytes or more', () => {
    const config = loadConfig({ env: { NODE_ENV: 'production', JWT_SIGNING_KEYS: jwtKeys, API_KEY_PEPPER: pepper }, secretsDir: missingSecretsDir });
    expect(config.production).toBe(true);
  });
});

describe('config: secrets from files', () => {
  it('reads jwt-signing-keys and api-key-pepper from the secrets directory, trimmed', () => {
    const secretsDir = tempDir('keyward-secrets-');
    writeFileSync(join(secretsDir, 'jwt-signing-keys'), `k1:${secret32}\n`);
    writeFileSync(join(secretsDir, 'api-key-pepper'), `${pepper}\n`);
    const config = loadConfig({ env: { NODE_ENV: 'production' }, secretsDir });
    expect(config.production).toBe(true);
    expect(config.jwt.signingKeys).toEqual([{ kid: 'k1', secret: secret32 }]);
    expect(config.apiKeys.pepper).toBe(pepper);
  });

  it('an environment variable wins over the file', () => {
    const secretsDir = tempDir('keyward-secrets-');
    writeFileSync(join(secretsDir, 'jwt-signing-keys'), `file:${secret32}\n`);
    writeFileSync(join(secretsDir, 'api-key-pepper'), `file-${pepper}\n`);
    const config = loadConfig({ env: { NODE_ENV: 'production', JWT_SIGNING_KEYS: `env:${secret32}`, API_KEY_PEPPER: pepper }, secretsDir });
    expect(config.jwt.signingKeys).toEqual([{ kid: 'env', secret: secret32 }]);
    expect(config.apiKeys.pepper).toBe(pepper);
  });

  it('an empty variable falls back to the file', () => {
    const secretsDir = tempDir('keyward-secrets-');
    writeFileSync(join(secretsDir, 'jwt-signing-keys'), `file:${secret32}`);
    const config = loadConfig({ env: { NODE_ENV: 'production', JWT_SIGNING_KEYS: '', API_KEY_PEPPER: pepper }, secretsDir });
    expect(config.jwt.signingKeys[0]?.kid).toBe('file');
  });

  it('takes the directory from SECRETS_DIR when no secretsDir is passed', () => {
    const secretsDir = tempDir('keyward-secrets-');
    writeFileSync(join(secretsDir, 'jwt-signing-keys'), `dir:${secret32}`);
    writeFileSync(join(secretsDir, 'api-key-pepper'), pepper);
    writeFileSync(join(secretsDir, 'redis-password'), 'redis-secret\n');
    const config = loadConfig({ env: { NODE_ENV: 'production', SECRETS_DIR: secretsDir } });
    expect(config.jwt.signingKeys[0]?.kid).toBe('dir');
    expect(config.redis.password).toBe('redis-secret');
  });
});

describe('config: development secrets', () => {
  it('generates secrets into <KEYWARD_DATA_DIR>/dev-secrets.json (mode 0600) and reuses them', () => {
    const dataDir = join(tempDir(), 'nested', '.data');
    const first = loadConfig({ env: { NODE_ENV: 'development', KEYWARD_DATA_DIR: dataDir }, secretsDir: missingSecretsDir });
    const path = join(dataDir, 'dev-secrets.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(path, 'utf8')) as { JWT_SIGNING_KEYS: string; API_KEY_PEPPER: string };
    expect(stored.API_KEY_PEPPER).toBe(first.apiKeys.pepper);
    expect(parseSigningKeys(stored.JWT_SIGNING_KEYS)).toEqual(first.jwt.signingKeys);
    expect(Buffer.byteLength(first.apiKeys.pepper)).toBeGreaterThanOrEqual(32);
    expect(Buffer.byteLength(first.jwt.signingKeys[0]?.secret ?? '')).toBeGreaterThanOrEqual(32);

    const second = loadConfig({ env: { NODE_ENV: 'development', KEYWARD_DATA_DIR: dataDir }, secretsDir: missingSecretsDir });
    expect(second.jwt.signingKeys).toEqual(first.jwt.signingKeys);
    expect(second.apiKeys.pepper).toBe(first.apiKeys.pepper);
    expect(second.dataDir).toBe(dataDir);

    const elsewhere = loadConfig({ env: { KEYWARD_DATA_DIR: tempDir() }, secretsDir: missingSecretsDir });
    expect(elsewhere.apiKeys.pepper).not.toBe(first.apiKeys.pepper);
  });

  it('a secret given explicitly is kept; only the missing one comes from the dev file', () => {
    const dataDir = tempDir();
    const config = loadConfig({ env: { KEYWARD_DATA_DIR: dataDir, API_KEY_PEPPER: pepper }, secretsDir: missingSecretsDir });
    expect(config.apiKeys.pepper).toBe(pepper);
    const stored = JSON.parse(readFileSync(join(dataDir, 'dev-secrets.json'), 'utf8')) as { JWT_SIGNING_KEYS: string };
    expect(parseSigningKeys(stored.JWT_SIGNING_KEYS)).toEqual(config.jwt.signingKeys);
  });
});

describe('config: invalid values are refused with a readable message', () => {
  const base = { JWT_SIGNING_KEYS: jwtKeys, API_KEY_PEPPER: pepper };
  for (const [name, value] of [
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['BCRYPT_COST', '3'],
    ['REDIS_URL', 'http://x'],
    ['LOG_LEVEL', 'loud'],
    ['AUDIT_INCLUDE_VALUES', 'maybe'],
    ['JWT_ALGORITHM', 'RS256'],
    ['BODY_LIMIT_BYTES', '-1'],
  ] as const) {
    it(`${name}=${value}`, () => {
      const error = configErrorOf(() => loadConfig({ env: { ...base, [name]: value }, secretsDir: missingSecretsDir }));
      expect(error.message).toContain(name);
      expect(error.message).toMatch(/invalid/i);
      // One readable line per problem, not a JSON dump of zod's issues.
      expect(error.message).not.toContain('"code"');
      expect(error.message).not.toContain(pepper);
    });
  }

  it('lists every problem at once', () => {
    const error = configErrorOf(() => loadConfig({ env: { ...base, PORT: 'abc', LOG_LEVEL: 'loud' }, secretsDir: missingSecretsDir }));
    expect(error.message).toContain('PORT');
    expect(error.message).toContain('LOG_LEVEL');
  });
});

describe('config: parseSigningKeys', () => {
  it("'a:x,b:y' gives two keys and the first signs", async () => {
    expect(parseSigningKeys('a:x,b:y')).toEqual([
      { kid: 'a', secret: 'x' },
      { kid: 'b', secret: 'y' },
    ]);
    const config = loadConfig({ env: { JWT_SIGNING_KEYS: `a:${secret32},b:${secret32.toUpperCase()}`, API_KEY_PEPPER: pepper }, secretsDir: missingSecretsDir });
    const keyring = createKeyring(config.jwt);
    const { accessToken } = await keyring.sign({ username: 'u', tenantId: 't1', role: 'member', tokenGen: '' }, Date.now());
    expect(decodeProtectedHeader(accessToken).kid).toBe('a');
    // A token signed by the second key still verifies.
    const second = createKeyring({ ...config.jwt, signingKeys: [...config.jwt.signingKeys].reverse() });
    const other = await second.sign({ username: 'u', tenantId: 't1', role: 'member', tokenGen: '' }, Date.now());
    expect(decodeProtectedHeader(other.accessToken).kid).toBe('b');
    expect((await keyring.verify(other.accessToken, Date.now())).username).toBe('u');
  });

  it("a bare secret gets the kid 'default'; spaces around entries are ignored; a secret may hold ':'", () => {
    expect(parseSigningKeys('just-a-secret')).toEqual([{ kid: 'default', secret: 'just-a-secret' }]);
    expect(parseSigningKeys(' a:x , b:y:z ')).toEqual([
      { kid: 'a', secret: 'x' },
      { kid: 'b', secret: 'y:z' },
    ]);
  });

  it('a repeated kid is a ConfigError', () => {
    expect(() => parseSigningKeys('a:x,a:y')).toThrow(ConfigError);
    expect(() => parseSigningKeys('s1,s2')).toThrow(ConfigError);
  });

  it('empty is a ConfigError', () => {
    expect(() => parseSigningKeys('')).toThrow(ConfigError);
    expect(() => parseSigningKeys(' , ,')).toThrow(ConfigError);
  });
});

describe('config: the env passed is the only source', () => {
  it('does not read process.env when env is given', () => {
    const saved = { PORT: process.env.PORT, LOG_LEVEL: process.env.LOG_LEVEL };
    process.env.PORT = 'bogus';
    process.env.LOG_LEVEL = 'loud';
    try {
      const config = loadConfig({ env: { JWT_SIGNING_KEYS: jwtKeys, API_KEY_PEPPER: pepper }, secretsDir: missingSecretsDir });
      expect(config.port).toBe(8080);
      expect(config.logLevel).toBe('info');
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

describe('config: Loki and the audit offload', () => {
  const base = () => ({ JWT_SIGNING_KEYS: jwtKeys, API_KEY_PEPPER: pepper, KEYWARD_DATA_DIR: tempDir() });

  it('defaults to the local file sink and the documented offload settings', () => {
    const config = loadConfig({ env: base(), secretsDir: missingSecretsDir });
    expect(config.loki).toBeNull();
    expect(config.audit.offload).toEqual({
      batchMaxEvents: 2000,
      batchMaxBytes: 1024 * 1024,
      tenantBytesPerSecond: 3 * 1024 * 1024,
      tenantConcurrency: 16,
      pushAttempts: 4,
      retryBaseMs: 200,
      retryMaxMs: 5000,
      leaseMs: 60_000,
      runBudgetMs: 50_000,
      minRunIntervalMs: 5000,
      token: undefined,
    });
  });

  it('reads LOKI_URL, the timeout and basic auth, the password from the secret file loki-password', () => {
    const secrets = tempDir('keyward-secrets-');
    writeFileSync(join(secrets, 'loki-password'), 'from-the-file\n');
    const config = loadConfig({ env: { ...base(), LOKI_URL: 'https://loki.example:3100/', LOKI_USERNAME: 'keyward', LOKI_TIMEOUT_MS: '2500' }, secretsDir: secrets });
    expect(config.loki).toEqual({ url: 'https://loki.example:3100', timeoutMs: 2500, auth: { kind: 'basic', username: 'keyward', password: 'from-the-file' } });
  });

  it('reads a bearer token (LOKI_BEARER_TOKEN or the secret file loki-bearer-token)', () => {
    const secrets = tempDir('keyward-secrets-');
    writeFileSync(join(secrets, 'loki-bearer-token'), 'tok-from-file');
    const config = loadConfig({ env: { ...base(), LOKI_URL: 'http://127.0.0.1:3100' }, secretsDir: secrets });
    expect(config.loki?.auth).toEqual({ kind: 'bearer', token: 'tok-from-file' });
  });

  it('refuses a URL that is not http(s), both kinds of auth at once, a user without a password, and a lease shorter than two pushes', () => {
    const refused = [
      { LOKI_URL: 'ftp://loki.example' },
      { LOKI_URL: 'not a url' },
      { LOKI_URL: 'http://loki', LOKI_USERNAME: 'u', LOKI_PASSWORD: 'p', LOKI_BEARER_TOKEN: 't' },
      { LOKI_URL: 'http://loki', LOKI_USERNAME: 'u' },
      { LOKI_URL: 'http://loki', LOKI_PASSWORD: 'p' },
      { LOKI_TIMEOUT_MS: '30000', AUDIT_LEASE_MS: '50000' },
      { AUDIT_RETRY_BASE_MS: '500', AUDIT_RETRY_MAX_MS: '100' },
      { AUDIT_BATCH_MAX_BYTES: '100' },
      { AUDIT_TENANT_CONCURRENCY: '0' },
    ];
    for (const env of refused) {
      const error = configErrorOf(() => loadConfig({ env: { ...base(), ...env }, secretsDir: missingSecretsDir }));
      expect(error.message, JSON.stringify(env)).toMatch(/Invalid configuration/);
    }
  });
});
