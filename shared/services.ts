import { createFileSink } from './audit/file-sink.js';
import { createLokiSink } from './audit/loki-sink.js';
import type { AuditSink } from './audit/sink.js';
import { createKeyring, type Keyring } from './auth/jwt.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config/config.js';
import { createLogger, type Logger } from './logging/logger.js';
import type { LokiClient } from './loki/loki-client.js';
import { AppError } from './errors/app-error.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { createRedisClient, type RedisClient } from './redis/client.js';

/** What every handler and core function is given: built once per process, in one place. */
export interface Services {
  name: string;
  config: Config;
  logger: Logger;
  redis: RedisClient;
  clock: Clock;
  keyring: Keyring;
  /** API-key hash → tenant id. Immutable for a key's life, so it is cached; a deleted key fails in its tenant's check. */
  keyTenants: Map<string, string>;
  /** Where shipped audit events are stored: Loki when LOKI_URL is set, else JSON-lines files. */
  auditSink: AuditSink;
  /** What this process records for Prometheus (SPEC §12): its own registries, never a global one. */
  metrics: Metrics;
}

export interface ServiceOverrides {
  logger?: Logger;
  redis?: RedisClient;
  clock?: Clock;
  auditSink?: AuditSink;
  metrics?: Metrics;
  /**
   * Builds the Loki client (`createLokiClient`). Passed by the entry points that ship or read the trail
   * (audit, audit-offload, the gateway, the admin CLI), so the other functions' bundles stay without axios.
   */
  lokiClient?: LokiClientFactory;
}

export type LokiClientFactory = (config: NonNullable<Config['loki']>) => LokiClient;

/** The composition root: config in, every client out. */
export function createServices(name: string, config: Config, overrides: ServiceOverrides = {}): Services {
  const logger = overrides.logger ?? createLogger({ level: config.logLevel, name });
  const redis = overrides.redis ?? createRedisClient(config.redis, logger);
  const metrics = overrides.metrics ?? createMetrics({ name, tenantLabels: config.metrics.tenantLabels });
  metrics.redis.watch(redis);
  return {
    name,
    config,
    logger,
    redis,
    metrics,
    clock: overrides.clock ?? systemClock,
    keyring: createKeyring(config.jwt),
    keyTenants: new Map(),
    auditSink: overrides.auditSink ?? createAuditSink(config, overrides.lokiClient),
  };
}

/** Loki when LOKI_URL is set, else `<audit dir>/<tenant>.jsonl`. */
export function createAuditSink(config: Config, lokiClient?: LokiClientFactory): AuditSink {
  if (!config.loki) return createFileSink(config.audit.dir);
  const shown = new URL(config.loki.url);
  shown.username = '';
  shown.password = '';
  const location = shown.toString().replace(/\/$/, '');
  return lokiClient ? createLokiSink(lokiClient(config.loki), location) : unwiredLokiSink(location);
}

/** In a function built without the Loki client: refuses loudly rather than writing somewhere else. */
function unwiredLokiSink(location: string): AuditSink {
  const reason = 'this process was built without the Loki client (pass lokiClient to createServices)';
  return {
    kind: 'loki',
    location,
    async write() {
      return { ok: false, kind: 'unavailable', status: null, reason, tenantLimited: false };
    },
    async read() {
      throw new AppError('loki_unavailable', undefined, { cause: new Error(reason) });
    },
  };
}

/** Closes the clients; call after in-flight requests have finished. */
export async function closeServices(services: Services): Promise<void> {
  await services.redis.quit().catch(() => services.redis.disconnect());
  services.logger.flush();
}
