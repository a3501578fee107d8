import type { TestProject } from 'vitest/node';
import { startRedisServer, type RedisProcess } from './redis-server.js';

let redis: RedisProcess | undefined;

/** One real Redis for the run; every test works in tenants of its own. */
export async function setup(project: TestProject): Promise<void> {
  redis = await startRedisServer();
  project.provide('redisUrl', redis.url);
}

export async function teardown(): Promise<void> {
  await redis?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
