// What identities, limits and usage cost in Redis, measured on the bench's own Redis through the
// running api-keys function: memory per identity, per limit's state and per usage bucket, and Redis's
// own time per verification (INFO commandstats) for a sliding-window log and a counter. (Keys, items
// and tenants at rest: memory.ts.)
import { Redis } from 'ioredis';
import { tenantKeys } from '../../shared/redis/keys.js';

export interface ModelCosts {
  /** Bytes per identity (record and indexes), over 1,000 identities. */
  bytesPerIdentity: number;
  /**
   * Bytes of one owner's (key's, identity's or tenant's) usage per day, with two codes in every hour:
   * a full hash of the day's 24 hours, and a 30th of a full hash of 30 days (lib/usage.lua's layout).
   */
  bytesPerUsageDay: number;
  /** Per algorithm: the state's bytes once the limit is full (1,000 uses in the window), and Redis µs per verification. */
  limits: Record<'log' | 'counter', { stateBytes: number; redisUsecPerVerify: number }>;
}

const count = 1000;

export async function measureModelCosts(apiKeys: string, headers: Record<string, string>, redisUrl: string, tenantId: string): Promise<ModelCosts> {
  const redis = new Redis(redisUrl);
  const keys = tenantKeys(tenantId);
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${apiKeys}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  };
  try {
    const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);
    // The audit events these writes append would count too: measured with the stream's growth taken out.
    const streamBytes = async () => Number((await redis.memory('USAGE', keys.audit)) ?? 0);

    const perRecord = async (make: (i: number) => Promise<unknown>) => {
      const [memory, stream] = [await usedMemory(), await streamBytes()];
      await inParallel(count, make);
      return Math.round((await usedMemory() - memory - (await streamBytes() - stream)) / count);
    };
    const stamp = Date.now();
    const bytesPerIdentity = await perRecord((i) => post('/identities', { external_id: `memory-${stamp}-${i}` }));

    const limits = {} as ModelCosts['limits'];
    for (const algorithm of ['log', 'counter'] as const) {
      const created = await post('/api-keys', { name: `limit-${algorithm}`, ratelimits: [{ name: 'bench', limit: 100_000, window_s: 3600, auto_apply: true, algorithm }] });
      const key = String(created.key_value);
      await redis.config('RESETSTAT');
      await inParallel(count, () => post('/api-keys/verify', { key }));
      const stats = (await redis.info('commandstats')).split('\n').find((line) => line.startsWith('cmdstat_evalsha:')) ?? '';
      const record = keys.apiKey(String(created.key_id));
      const state = algorithm === 'log' ? `${record}:rl:bench` : `${record}:rlc:bench`;
      limits[algorithm] = { stateBytes: Number((await redis.memory('USAGE', state)) ?? 0), redisUsecPerVerify: Number(/usec_per_call=([\d.]+)/.exec(stats)?.[1] ?? 0) };
    }

    const full = async (name: string, buckets: number) => {
      const key = `${keys.usagePrefix}bench:${name}`;
      for (let i = 0; i < buckets; i += 1) await redis.hset(key, `${i}:VALID`, 1000 + i, `${i}:RATE_LIMITED`, 10 + i);
      const bytes = Number((await redis.memory('USAGE', key)) ?? 0);
      await redis.del(key);
      return bytes;
    };
    const bytesPerUsageDay = Math.round((await full('hours', 24)) + (await full('days', 30)) / 30);
    return { bytesPerIdentity, bytesPerUsageDay, limits };
  } finally {
    redis.disconnect();
  }
}

/** make(0..count-1), 16 at a time: a loaded machine answers one request at a time slowly. */
async function inParallel(count: number, make: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await make(next++);
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}
