import { Redis, type Cluster } from 'ioredis';
import type { Config } from '../config/config.js';
import type { Logger } from '../logging/logger.js';

/** The one Redis client of a process; nothing outside this module knows which mode it is in. */
export type RedisClient = Redis | Cluster;

/** Builds the process's Redis client from the config (standalone `REDIS_URL`). */
export function createRedisClient(config: Config['redis'], logger: Logger): RedisClient {
  const url = config.url ?? 'redis://127.0.0.1:6379';
  const client = new Redis(url, {
    password: config.password,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 2,
    commandTimeout: config.commandTimeoutMs,
    connectTimeout: 5000,
    connectionName: 'keyward',
    // RESP2: Lua `false` arrives as null, and replies have one shape whatever the server speaks.
    protocol: 2,
  });
  client.on('error', (error: Error) => logger.warn({ err: { message: error.message } }, 'redis connection error'));
  return client;
}
