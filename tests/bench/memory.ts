// What an API key, a data item and a tenant cost in Redis memory at rest, on a Redis of its own:
// N of each made through the real create paths (the core functions the handlers call, in process),
// then what lasts only minutes taken away (operation markers, kept 2 minutes for a retry's sake,
// are deleted; audit events, shipped within minutes by the offload, are trimmed), then
// (used_memory after − before) ÷ N, without the clients' buffers.
import { Redis } from 'ioredis';
import { createApiKey } from '../../shared/api-keys/api-keys.js';
import { CreateApiKeyBody } from '../../shared/api-keys/schemas.js';
import type { AuditAction } from '../../shared/audit/actions.js';
import { systemCaller } from '../../shared/auth/caller.js';
import { loadConfig } from '../../shared/config/config.js';
import { createItem } from '../../shared/data/items.js';
import { CreateItemBody } from '../../shared/data/schemas.js';
import type { Call } from '../../shared/operations/call.js';
import { tenantKeys } from '../../shared/redis/keys.js';
import { createServices } from '../../shared/services.js';
import { createTenant } from '../../shared/tenancy/tenants.js';
import { startRedisServer } from '../support/redis-server.js';
import { functionEnv } from './processes.js';
import { median } from './stats.js';

/** Records of each kind made before any is counted. */
const warmUp = 129;
/** Their numbers, clear of those counted. */
const warmUpFrom = 1_000_000;

export interface MemoryCosts {
  bytesPerKey: number;
  bytesPerItem: number;
  bytesPerTenant: number;
  /** How many of each were made. */
  records: number;
  tenants: number;
}

export async function measureMemory(settings: { records: number; tenants: number }): Promise<MemoryCosts> {
  const server = await startRedisServer();
  const redis = new Redis(server.url);
  // A cheap bcrypt cost for the tenants' admins: a hash is 60 characters whatever its cost.
  const services = createServices('bench-memory', loadConfig({ env: { ...functionEnv({ REDIS_URL: server.url }), BCRYPT_COST: '4' } }));
  const call = (tenantId: string, action: AuditAction, n: number): Call => ({ caller: systemCaller(tenantId, 'bench'), action, scope: null, requestId: `memory-${n}` });
  const newKey = (tenantId: string, n: number) => createApiKey(services, call(tenantId, 'create_api_key', n), CreateApiKeyBody.parse({ name: `memory ${n}`, scopes: ['data:read'] }));
  const newItem = (tenantId: string, n: number) => createItem(services, call(tenantId, 'create_key', n), { ...CreateItemBody.parse({ value: { hello: 'world', n } }), key: `memory-${n}` });
  try {
    const tenantId = 'bench-memory';
    await createTenant(services, tenantId, { username: `${tenantId}-admin`, password: 'bench passphrase' });
    const newTenant = (n: number) => createTenant(services, `bench-mem-${n}`, { username: `bench-mem-${n}-admin`, password: 'bench passphrase' });
    // Past the small encodings first (a tenant's index and hash lookups, the tenant list, are compact up
    // to 128 entries): the cost of one more in a tenant of any size. The scripts get loaded meanwhile.
    for (let n = warmUpFrom; n < warmUpFrom + warmUp; n += 1) await Promise.all([newKey(tenantId, n), newItem(tenantId, n), newTenant(n)]);
    const { settle, atRest } = atRestMemory(redis);
    // Their markers would expire while others are counted.
    await settle([tenantId, ...Array.from({ length: warmUp }, (_, n) => `bench-mem-${warmUpFrom + n}`)]);
    const bytesPerKey = await atRest(() => [tenantId], settings.records, (n) => newKey(tenantId, n));
    const bytesPerItem = await atRest(() => [tenantId], settings.records, (n) => newItem(tenantId, n));
    const bytesPerTenant = await atRest((from, to) => Array.from({ length: to - from }, (_, i) => `bench-mem-${from + i}`), settings.tenants, newTenant);
    return { bytesPerKey, bytesPerItem, bytesPerTenant, records: settings.records, tenants: settings.tenants };
  } finally {
    services.redis.disconnect();
    redis.disconnect();
    await server.stop();
  }
}

/**
 * Bytes per record that `make` adds, once the tenants' markers and audit events are gone: the median
 * of three batches (used_memory moves by a few kB for reasons of its own).
 */
function atRestMemory(redis: Redis) {
  const dataMemory = async () => {
    const used = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);
    const stats = (await redis.call('MEMORY', 'STATS')) as unknown[];
    const field = (name: string) => Number(stats[stats.indexOf(name) + 1] ?? 0);
    return used - field('clients.normal') - field('clients.slaves');
  };
  const settle = async (tenantIds: string[]) => {
    for (const tenantId of tenantIds) {
      const keys = tenantKeys(tenantId);
      await redis.xtrim(keys.audit, 'MAXLEN', 0);
      const markers: string[] = [];
      for await (const batch of redis.scanStream({ match: keys.operation('*'), count: 1000 })) markers.push(...(batch as string[]));
      if (markers.length > 0) await redis.del(...markers);
    }
  };
  const atRest = async (tenantsOf: (from: number, to: number) => string[], count: number, make: (n: number) => Promise<unknown>): Promise<number> => {
    const perRecord: number[] = [];
    for (let batch = 0; batch < 3; batch += 1) {
      const [from, to] = [Math.floor((count * batch) / 3), Math.floor((count * (batch + 1)) / 3)];
      await settle(tenantsOf(0, 0));
      const before = await dataMemory();
      for (let n = from; n < to; n += 1) await make(n);
      await settle(tenantsOf(from, to));
      perRecord.push(((await dataMemory()) - before) / (to - from));
    }
    return Math.round(median(perRecord));
  };
  return { settle, atRest };
}
