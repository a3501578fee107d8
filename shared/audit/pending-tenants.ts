import { Cluster } from 'ioredis';
import type { RedisClient } from '../redis/client.js';
import { auditPendingInSlot, globalKeys, tenantKeys, tenantSlot } from '../redis/keys.js';
import { slotCount } from '../redis/slot-tags.js';
import type { Services } from '../services.js';
import { isTenantId } from '../tenancy/tenant-id.js';

/**
 * The tenants the offload must visit: a sorted set whose member is the tenant id and whose score is
 * 0 while the tenant's audit stream holds events, else the time of its next data expiry (the offload
 * records expirations). audit() in lib/audit.lua adds the tenant with score 0 in the same script that
 * appends an event; ack-audit and dead-letter-audit, once the stream is empty in the same script, set
 * it to the next expiry or remove it. So a run reads one set instead of visiting every tenant.
 *
 * On a single Redis (standalone, Sentinel) it is one key. On Cluster the script that appends an event
 * touches only its tenant's slot, so the set is kept once per hash slot, in that slot
 * (shared/redis/slot-tags.ts): a run reads all 16,384 of them, pipelined.
 */
export function pendingKeyOf(redis: RedisClient, tenantId: string): string {
  return redis instanceof Cluster ? auditPendingInSlot(tenantSlot(tenantId)) : globalKeys.auditPending;
}

/** A tenant due for a visit, and why: `expiryDue` when its score is an expiry time that has come. */
export interface DueTenant {
  tenantId: string;
  expiryDue: boolean;
}

/** The tenants due now (score 0, or an expiry at or before `nowMs`); members that are not tenant ids are removed and counted. */
export async function dueTenants(redis: RedisClient, nowMs: number): Promise<{ due: DueTenant[]; invalid: number }> {
  const keys = redis instanceof Cluster ? Array.from({ length: slotCount }, (_, slot) => auditPendingInSlot(slot)) : [globalKeys.auditPending];
  // Auto-pipelined: on Cluster, one batch per master.
  const replies = await Promise.all(keys.map((key) => redis.zrangebyscore(key, '-inf', nowMs, 'WITHSCORES')));
  const due: DueTenant[] = [];
  let invalid = 0;
  for (const [index, reply] of replies.entries()) {
    for (let i = 0; i < reply.length; i += 2) {
      const tenantId = reply[i] ?? '';
      // A tenant id becomes a Loki org and a file name: anything else is never used.
      if (!isTenantId(tenantId)) {
        invalid += 1;
        await redis.zrem(keys[index] ?? '', tenantId);
        continue;
      }
      due.push({ tenantId, expiryDue: Number(reply[i + 1]) > 0 });
    }
  }
  return { due, invalid };
}

/**
 * Once per Redis (guarded by globalKeys.auditPendingSurveyed): adds every listed tenant whose stream
 * holds events or whose expiry index is not empty, so what was written before the pending set existed
 * is not stranded. Adding is always safe (a needless visit at worst); the mark is set last, so a survey
 * cut short runs again. `DEL kw:audit-pending:surveyed` makes the next run survey again (after events
 * were put back in a stream by hand, for instance). Returns how many tenants it marked, or null when
 * it had run before.
 */
export async function surveyOnce(services: Services): Promise<number | null> {
  const { redis } = services;
  if ((await redis.exists(globalKeys.auditPendingSurveyed)) === 1) return null;
  const tenantIds = (await redis.smembers(globalKeys.tenants)).filter(isTenantId);
  const found = await Promise.all(
    tenantIds.map(async (tenantId) => {
      const keys = tenantKeys(tenantId);
      const [events, nextExpiry] = await Promise.all([redis.xlen(keys.audit), redis.zrange(keys.dataExpiry, '0', '0', 'WITHSCORES')]);
      const score = events > 0 ? 0 : nextExpiry[1] !== undefined ? Number(nextExpiry[1]) : null;
      if (score === null) return 0;
      // LT: a tenant already marked keeps the lower score (0: it has events).
      await redis.zadd(pendingKeyOf(redis, tenantId), 'LT', String(score), tenantId);
      return 1;
    }),
  );
  await redis.set(globalKeys.auditPendingSurveyed, String(services.clock.now()));
  const marked = found.reduce<number>((sum, one) => sum + one, 0);
  if (marked > 0) services.logger.info({ tenants: tenantIds.length, marked }, 'audit offload: tenants with events written before the pending set were added to it');
  return marked;
}
