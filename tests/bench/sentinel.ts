// The same functions with Redis under Sentinel (a master with two replicas): their scenarios run in
// the same rounds as standalone's, so the cost of a replica's acknowledgement is seen beside them.
import { Redis } from 'ioredis';
import { startSentinelSet, type SentinelSet } from '../support/redis-topologies.js';
import type { Scenario } from './load.js';
import { functionEnv, ProcessGroup } from './processes.js';
import { jwtHeaders, seedTenant } from './seed.js';

export interface SentinelStand {
  scenarios: { verify: Scenario; readJwt: Scenario; readApiKey: Scenario };
  stop(): Promise<void>;
}

/** Names of the scenarios run on both topologies, as the standalone ones are named. */
export const sentinelSuffix = ' (Sentinel)';

/** The set and its own token, api-keys and data functions (stopped with it, before it: no process is left calling a gone Sentinel). */
export async function startSentinelStand(): Promise<SentinelStand> {
  const set: SentinelSet = await startSentinelSet();
  const stats = new Redis(set.url);
  const processes = new ProcessGroup();
  try {
    const env = functionEnv(set.env);
    const token = await processes.start('dist/token/index.js', env);
    const apiKeys = await processes.start('dist/api-keys/index.js', env);
    const data = await processes.start('dist/data/index.js', env);
    const seed = await seedTenant(env, { token: token.url, apiKeys: apiKeys.url, data: data.url }, 'bench-sentinel');
    const jwt = jwtHeaders(seed.token);
    const scenarios = {
      verify: { name: `POST /api-keys/verify${sentinelSuffix}`, url: `${apiKeys.url}/api-keys/verify`, method: 'POST', headers: jwt, body: JSON.stringify({ key: seed.apiKey }), pid: apiKeys.pid, redis: stats },
      readJwt: { name: `GET /data/{key} (JWT)${sentinelSuffix}`, url: `${data.url}/data/${seed.itemKey}`, headers: jwt, pid: data.pid, redis: stats },
      readApiKey: { name: `GET /data/{key} (API key)${sentinelSuffix}`, url: `${data.url}/data/${seed.itemKey}`, headers: { 'x-api-key': seed.apiKey }, pid: data.pid, redis: stats },
    };
    return {
      scenarios,
      async stop() {
        processes.stopAll();
        stats.disconnect();
        await set.stop();
      },
    };
  } catch (error) {
    processes.stopAll();
    stats.disconnect();
    await set.stop();
    throw error;
  }
}
