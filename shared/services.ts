import { createFileSink, type AuditSink } from './audit/sink.js';
import { createKeyring, type Keyring } from './auth/jwt.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config/config.js';
import { createLogger, type Logger } from './logging/logger.js';
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
  /** Where shipped audit events are stored. */
  auditSink: AuditSink;
}

export interface ServiceOverrides {
  logger?: Logger;
  redis?: RedisClient;
  clock?: Clock;
  auditSink?: AuditSink;
}

/** The composition root: config in, every client out. */
export function createServices(name: string, config: Config, overrides: ServiceOverrides = {}): Services {
  const logger = overrides.logger ?? createLogger({ level: config.logLevel, name });
  return {
    name,
    config,
    logger,
    redis: overrides.redis ?? createRedisClient(config.redis, logger),
    clock: overrides.clock ?? systemClock,
    keyring: createKeyring(config.jwt),
    keyTenants: new Map(),
    auditSink: overrides.auditSink ?? createFileSink(config.audit.dir),
  };
}

/** Closes the clients; call after in-flight requests have finished. */
export async function closeServices(services: Services): Promise<void> {
  await services.redis.quit().catch(() => services.redis.disconnect());
  services.logger.flush();
}
