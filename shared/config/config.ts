import '../validation/zod-jitless.js';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { loadOrCreateDevSecrets } from './dev-secrets.js';
import { defaultSecretsDir, withSecretFiles } from './secrets.js';

const flag = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
/** Decimal digits only: no blanks read as 0, no hex. */
const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const kib = 1024;
const hostList = /^[^\s,:]+:\d{1,5}(,[^\s,:]+:\d{1,5})*$/;

const EnvSchema = z.object({
  NODE_ENV: z.string().default('development'),
  PORT: int(0, 65535).default(8080),
  /** The interface to listen on: loopback unless told otherwise (0.0.0.0 to serve other machines). */
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  KEYWARD_DATA_DIR: z.string().default('.data'),
  /** The built web console (build.mjs writes it as app/ beside the console's and the gateway's bundles). */
  KEYWARD_CONSOLE_DIR: z.string().optional(),

  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  REDIS_SENTINELS: z.string().regex(hostList, 'host:port,host:port,...').optional(),
  REDIS_MASTER_NAME: z.string().min(1).default('mymaster'),
  REDIS_CLUSTER_NODES: z.string().regex(hostList, 'host:port,host:port,...').optional(),
  REDIS_USERNAME: z.string().optional(),
  REDIS_PASSWORD: z.string().optional(),
  REDIS_SENTINEL_PASSWORD: z.string().optional(),
  REDIS_TLS: flag.default(false),
  REDIS_COMMAND_TIMEOUT_MS: int(10, 60_000).default(1000),
  REDIS_WAIT_REPLICAS: int(0, 10).default(1),
  REDIS_WAIT_TIMEOUT_MS: int(1, 60_000).default(1000),

  JWT_SIGNING_KEYS: z.string().optional(),
  JWT_ALGORITHM: z.enum(['HS256', 'HS384', 'HS512']).default('HS256'),
  JWT_ISSUER: z.string().min(1).default('keyward'),
  JWT_AUDIENCE: z.string().min(1).default('keyward'),
  ACCESS_TOKEN_TTL_S: int(60, 86_400).default(1800),

  API_KEY_PEPPER: z.string().optional(),
  API_KEY_DEFAULT_PREFIX: z.string().regex(/^[A-Za-z0-9]{1,16}$/).default('kw'),
  API_KEYS_MAX_PER_TENANT: int(1, 100_000_000).default(100_000),
  IDENTITIES_MAX_PER_TENANT: int(1, 100_000_000).default(100_000),

  BCRYPT_COST: int(4, 15).default(12),
  LOGIN_MAX_FAILURES_PER_USER: int(1, 1000).default(10),
  LOGIN_MAX_FAILURES_PER_ADDRESS: int(1, 100_000).default(50),
  LOGIN_THROTTLE_WINDOW_S: int(1, 86_400).default(900),

  BODY_LIMIT_BYTES: int(1 * kib, 64 * kib * kib).default(1024 * kib),
  DATA_MAX_VALUE_BYTES: int(1, 64 * kib * kib).default(256 * kib),
  DATA_MAX_METADATA_BYTES: int(16, 64 * kib).default(4 * kib),
  DATA_MAX_KEYS_PER_TENANT: int(1, 100_000_000).default(100_000),

  AUDIT_INCLUDE_VALUES: flag.default(false),
  AUDIT_DIR: z.string().optional(),
  AUDIT_BATCH_MAX_EVENTS: int(1, 100_000).default(2000),
  AUDIT_BATCH_MAX_BYTES: int(1 * kib, 4 * kib * kib).default(1024 * kib),
  AUDIT_TENANT_BYTES_PER_S: int(1 * kib, 64 * kib * kib).default(3 * kib * kib),
  AUDIT_TENANT_CONCURRENCY: int(1, 64).default(16),
  AUDIT_PUSH_ATTEMPTS: int(1, 20).default(4),
  AUDIT_RETRY_BASE_MS: int(1, 60_000).default(200),
  AUDIT_RETRY_MAX_MS: int(1, 60_000).default(5000),
  AUDIT_LEASE_MS: int(100, 3_600_000).default(60_000),
  AUDIT_RUN_BUDGET_MS: int(100, 3_600_000).default(50_000),
  /** A trigger within this long of the last run's start (or during a run) starts nothing. */
  AUDIT_MIN_RUN_INTERVAL_MS: int(0, 3_600_000).default(5000),
  /** Shows per-tenant figures of the offload to a caller presenting it as a Bearer token. */
  AUDIT_OFFLOAD_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),

  LOKI_URL: z.url({ protocol: /^https?$/ }).optional(),
  LOKI_USERNAME: z.string().optional(),
  LOKI_PASSWORD: z.string().optional(),
  LOKI_BEARER_TOKEN: z.string().optional(),
  LOKI_TIMEOUT_MS: int(10, 600_000).default(10_000),

  /** Where a function serves GET /metrics, apart from its requests (SPEC §12); 0: not at all. */
  METRICS_PORT: int(0, 65535).default(9464),
  /** The interface of the metrics port; HOST's unless given (OpenFaaS: loopback requests, metrics for Prometheus). */
  METRICS_HOST: z.string().min(1).optional(),
  /** A tenant label on verifications, refusals and the largest backlogs: series (and tenant ids) per tenant. */
  METRICS_TENANT_LABELS: flag.default(false),

  TRUSTED_PROXY_HOPS: int(0, 10).default(0),
  SHUTDOWN_GRACE_MS: int(0, 600_000).default(10_000),
});

export interface RedisSettings {
  mode: 'standalone' | 'sentinel' | 'cluster';
  url: string | undefined;
  sentinels: HostPort[];
  masterName: string;
  clusterNodes: HostPort[];
  username: string | undefined;
  password: string | undefined;
  sentinelPassword: string | undefined;
  /** TLS to Redis (and Sentinels) in Sentinel and Cluster modes; standalone takes it from `rediss://`. */
  tls: boolean;
  /** The longest a command may wait, queued or sent, before the request fails with 503. */
  commandTimeoutMs: number;
  /** Replicas a write that must survive a failover waits for (WAIT), when the master has replicas; 0 turns it off. */
  waitReplicas: number;
  waitTimeoutMs: number;
}

export interface HostPort {
  host: string;
  port: number;
}

export interface SigningKey {
  kid: string;
  secret: string;
}

export type Config = ReturnType<typeof toConfig>;

/** Thrown when the configuration cannot be used; its message lists every problem. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadConfigOptions {
  env?: Record<string, string | undefined>;
  secretsDir?: string;
}

/** Reads the environment and mounted secrets once, validates them, and returns the typed config. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const rawEnv = options.env ?? process.env;
  const env = withSecretFiles(rawEnv, options.secretsDir ?? rawEnv.SECRETS_DIR ?? defaultSecretsDir);
  const parsed = EnvSchema.safeParse(stripEmpty(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const values = parsed.data;
  const modes = [values.REDIS_URL && 'REDIS_URL', values.REDIS_SENTINELS && 'REDIS_SENTINELS', values.REDIS_CLUSTER_NODES && 'REDIS_CLUSTER_NODES'].filter(Boolean);
  if (modes.length > 1) throw new ConfigError(`Choose one Redis mode; got ${modes.join(' and ')}`);
  const production = values.NODE_ENV === 'production';
  const dataDir = resolve(values.KEYWARD_DATA_DIR);

  if (!values.JWT_SIGNING_KEYS || !values.API_KEY_PEPPER) {
    if (production) {
      const missing = [
        !values.JWT_SIGNING_KEYS && 'JWT_SIGNING_KEYS (or secret file jwt-signing-keys)',
        !values.API_KEY_PEPPER && 'API_KEY_PEPPER (or secret file api-key-pepper)',
      ].filter(Boolean);
      throw new ConfigError(`Refusing to start in production without: ${missing.join(', ')}`);
    }
    const dev = loadOrCreateDevSecrets(dataDir);
    values.JWT_SIGNING_KEYS ??= dev.JWT_SIGNING_KEYS;
    values.API_KEY_PEPPER ??= dev.API_KEY_PEPPER;
  }

  checkAuditSettings(values);
  const signingKeys = parseSigningKeys(values.JWT_SIGNING_KEYS);
  const minSecretBytes = production ? 32 : 16;
  const weak = signingKeys.filter((key) => Buffer.byteLength(key.secret) < minSecretBytes).map((key) => key.kid);
  if (weak.length > 0) throw new ConfigError(`JWT signing keys shorter than ${minSecretBytes} bytes: ${weak.join(', ')}`);
  if (Buffer.byteLength(values.API_KEY_PEPPER) < minSecretBytes) {
    throw new ConfigError(`API_KEY_PEPPER must be at least ${minSecretBytes} bytes`);
  }
  return toConfig(values, { production, dataDir, signingKeys, pepper: values.API_KEY_PEPPER });
}

type EnvValues = z.output<typeof EnvSchema>;

function toConfig(values: EnvValues, derived: { production: boolean; dataDir: string; signingKeys: SigningKey[]; pepper: string }) {
  return {
    production: derived.production,
    port: values.PORT,
    host: values.HOST,
    logLevel: values.LOG_LEVEL,
    dataDir: derived.dataDir,
    console: { dir: resolve(values.KEYWARD_CONSOLE_DIR ?? defaultConsoleDir()) },
    redis: {
      mode: values.REDIS_CLUSTER_NODES ? 'cluster' : values.REDIS_SENTINELS ? 'sentinel' : 'standalone',
      url: values.REDIS_URL,
      sentinels: parseHosts(values.REDIS_SENTINELS),
      masterName: values.REDIS_MASTER_NAME,
      clusterNodes: parseHosts(values.REDIS_CLUSTER_NODES),
      username: values.REDIS_USERNAME,
      password: values.REDIS_PASSWORD,
      sentinelPassword: values.REDIS_SENTINEL_PASSWORD,
      tls: values.REDIS_TLS,
      commandTimeoutMs: values.REDIS_COMMAND_TIMEOUT_MS,
      waitReplicas: values.REDIS_WAIT_REPLICAS,
      waitTimeoutMs: values.REDIS_WAIT_TIMEOUT_MS,
    } as RedisSettings,
    jwt: {
      signingKeys: derived.signingKeys,
      algorithm: values.JWT_ALGORITHM,
      issuer: values.JWT_ISSUER,
      audience: values.JWT_AUDIENCE,
      ttlSeconds: values.ACCESS_TOKEN_TTL_S,
    },
    apiKeys: { pepper: derived.pepper, defaultPrefix: values.API_KEY_DEFAULT_PREFIX, maxPerTenant: values.API_KEYS_MAX_PER_TENANT, maxIdentitiesPerTenant: values.IDENTITIES_MAX_PER_TENANT },
    passwords: { bcryptCost: values.BCRYPT_COST },
    login: {
      maxFailuresPerUser: values.LOGIN_MAX_FAILURES_PER_USER,
      maxFailuresPerAddress: values.LOGIN_MAX_FAILURES_PER_ADDRESS,
      windowSeconds: values.LOGIN_THROTTLE_WINDOW_S,
    },
    limits: {
      bodyBytes: values.BODY_LIMIT_BYTES,
      valueBytes: values.DATA_MAX_VALUE_BYTES,
      metadataBytes: values.DATA_MAX_METADATA_BYTES,
      keysPerTenant: values.DATA_MAX_KEYS_PER_TENANT,
    },
    audit: {
      includeValues: values.AUDIT_INCLUDE_VALUES,
      dir: resolve(values.AUDIT_DIR ?? `${derived.dataDir}/audit`),
      offload: {
        batchMaxEvents: values.AUDIT_BATCH_MAX_EVENTS,
        batchMaxBytes: values.AUDIT_BATCH_MAX_BYTES,
        tenantBytesPerSecond: values.AUDIT_TENANT_BYTES_PER_S,
        tenantConcurrency: values.AUDIT_TENANT_CONCURRENCY,
        pushAttempts: values.AUDIT_PUSH_ATTEMPTS,
        retryBaseMs: values.AUDIT_RETRY_BASE_MS,
        retryMaxMs: values.AUDIT_RETRY_MAX_MS,
        leaseMs: values.AUDIT_LEASE_MS,
        runBudgetMs: values.AUDIT_RUN_BUDGET_MS,
        minRunIntervalMs: values.AUDIT_MIN_RUN_INTERVAL_MS,
        token: values.AUDIT_OFFLOAD_TOKEN,
      },
    },
    /** Loki, when LOKI_URL is set; otherwise audit events go to the JSON-lines files under audit.dir. */
    loki: values.LOKI_URL
      ? {
          url: values.LOKI_URL.replace(/\/+$/, ''),
          timeoutMs: values.LOKI_TIMEOUT_MS,
          auth: lokiAuth(values),
        }
      : null,
    http: { trustedProxyHops: values.TRUSTED_PROXY_HOPS, shutdownGraceMs: values.SHUTDOWN_GRACE_MS },
    metrics: { port: values.METRICS_PORT, host: values.METRICS_HOST ?? values.HOST, tenantLabels: values.METRICS_TENANT_LABELS },
  };
}

/** `app/` beside the running bundle: in a bundle, import.meta.url is the bundle's own file (build.mjs). */
function defaultConsoleDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), 'app');
}

export type LokiAuth = { kind: 'none' } | { kind: 'basic'; username: string; password: string } | { kind: 'bearer'; token: string };

function lokiAuth(values: EnvValues): LokiAuth {
  if (values.LOKI_BEARER_TOKEN) return { kind: 'bearer', token: values.LOKI_BEARER_TOKEN };
  if (values.LOKI_USERNAME) return { kind: 'basic', username: values.LOKI_USERNAME, password: values.LOKI_PASSWORD ?? '' };
  return { kind: 'none' };
}

/**
 * The audit settings that only make sense together. A lease shorter than a push could expire while
 * its holder is still waiting on Loki, letting a second run send the same batch.
 */
function checkAuditSettings(values: EnvValues): void {
  const problems: string[] = [];
  if (values.LOKI_BEARER_TOKEN && values.LOKI_USERNAME) problems.push('LOKI_BEARER_TOKEN and LOKI_USERNAME are exclusive: use one way to authenticate to Loki');
  if (values.LOKI_USERNAME && !values.LOKI_PASSWORD) problems.push('LOKI_USERNAME needs LOKI_PASSWORD (or the secret file loki-password)');
  if (!values.LOKI_USERNAME && values.LOKI_PASSWORD) problems.push('LOKI_PASSWORD is set without LOKI_USERNAME');
  if (values.AUDIT_LEASE_MS < 2 * values.LOKI_TIMEOUT_MS + values.AUDIT_RETRY_MAX_MS) {
    problems.push('AUDIT_LEASE_MS must be at least 2 x LOKI_TIMEOUT_MS + AUDIT_RETRY_MAX_MS');
  }
  if (values.AUDIT_RETRY_MAX_MS < values.AUDIT_RETRY_BASE_MS) problems.push('AUDIT_RETRY_MAX_MS must not be below AUDIT_RETRY_BASE_MS');
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
}

/** `kid:secret,kid:secret`; the first signs, all verify. A bare secret gets the kid `default`. */
export function parseSigningKeys(text: string): SigningKey[] {
  const keys = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const colon = entry.indexOf(':');
      return colon > 0 ? { kid: entry.slice(0, colon), secret: entry.slice(colon + 1) } : { kid: 'default', secret: entry };
    });
  if (keys.length === 0) throw new ConfigError('JWT_SIGNING_KEYS is empty');
  const kids = new Set(keys.map((key) => key.kid));
  if (kids.size !== keys.length) throw new ConfigError('JWT_SIGNING_KEYS has a repeated kid');
  return keys;
}

function parseHosts(text: string | undefined): HostPort[] {
  if (!text) return [];
  return text.split(',').map((entry) => {
    const colon = entry.lastIndexOf(':');
    return { host: entry.slice(0, colon), port: Number(entry.slice(colon + 1)) };
  });
}

function stripEmpty(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && value !== '') out[name] = value;
  return out;
}
