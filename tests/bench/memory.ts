// What an API key, a data item and a tenant cost in Redis memory at rest: N of each made through the
// real create paths, then what lasts only minutes taken away (operation markers, kept 2 minutes for a
// retry's sake, are deleted; audit events, shipped within minutes by the offload, are trimmed), then
// (used_memory after − before) ÷ N.
import { Redis } from 'ioredis';
import { loadConfig } from '../../shared/config/config.js';
import { tenantKeys } from '../../shared/redis/keys.js';
import { createServices } from '../../shared/services.js';
import { createTenant as createTenantInProcess } from '../../shared/tenancy/tenants.js';
import { functionEnv } from './processes.js';
import { createTenant, jwtHeaders, postJson } from './seed.js';

export interface MemoryCosts {
  bytesPerKey: number;
  bytesPerItem: number;
  bytesPerTenant: number;
  /** How many of each were made. */
  records: number;
  tenants: number;
}

export async function measureMemory(
  redisUrl: string,
  urls: { token: string; apiKeys: string; data: string },
  settings: { records: number; tenants: number },
): Promise<MemoryCosts> {
  const redis = new Redis(redisUrl);
  const env = functionEnv({ REDIS_URL: redisUrl });
  try {
    const tenantId = 'bench-memory';
    const { token } = await createTenant(env, urls.token, tenantId);
    const headers = jwtHeaders(token);
    const atRest = atRestMemory(redis);
    const bytesPerKey = await atRest([tenantId], settings.records, async () => {
      for (let i = 0; i < settings.records; i += 1) await postJson(`${urls.apiKeys}/api-keys`, headers, { name: `memory ${i}`, scopes: ['data:read'] });
    });
    const bytesPerItem = await atRest([tenantId], settings.records, async () => {
      for (let i = 0; i < settings.records; i += 1) await postJson(`${urls.data}/data`, headers, { key: `memory-${i}`, value: { hello: 'world', n: i } });
    });
    // In process, with a cheap bcrypt cost: a hash is 60 characters whatever its cost.
    const services = createServices('bench-memory', loadConfig({ env: { ...env, BCRYPT_COST: '4' } }));
    const tenantIds = Array.from({ length: settings.tenants }, (_, i) => `bench-mem-${i}`);
    const bytesPerTenant = await atRest(tenantIds, settings.tenants, async () => {
      for (const id of tenantIds) await createTenantInProcess(services, id, { username: `${id}-admin`, password: 'bench passphrase' });
    });
    services.redis.disconnect();
    return { bytesPerKey, bytesPerItem, bytesPerTenant, records: settings.records, tenants: settings.tenants };
  } finally {
    redis.disconnect();
  }
}

/** Bytes per record that `make` adds, once the tenants' markers and audit events are gone. */
function atRestMemory(redis: Redis) {
  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);
  const settle = async (tenantIds: string[]) => {
    for (const tenantId of tenantIds) {
      const keys = tenantKeys(tenantId);
      await redis.xtrim(keys.audit, 'MAXLEN', 0);
      const markers: string[] = [];
      const stream = redis.scanStream({ match: keys.operation('*'), count: 1000 });
      for await (const batch of stream) markers.push(...(batch as string[]));
      if (markers.length > 0) await redis.del(...markers);
    }
  };
  return async (tenantIds: string[], count: number, make: () => Promise<void>): Promise<number> => {
    await settle(tenantIds);
    const before = await usedMemory();
    await make();
    await settle(tenantIds);
    return Math.round(((await usedMemory()) - before) / count);
  };
}
