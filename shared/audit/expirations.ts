import type { RedisClient } from '../redis/client.js';
import { tenantKeys } from '../redis/keys.js';
import { runScript } from '../redis/run-script.js';
import { scripts } from '../redis/scripts.js';
import { auditEvent } from './event.js';
import { pendingKeyOf } from './pending-tenants.js';

const pageSize = 500;

/** Who records expirations in the trail. */
export const expirationActor = { type: 'system', id: 'audit-offload' } as const;

/**
 * Records one `key_expiration` event per data item incarnation whose TTL has run out, from the
 * tenant's expiry index (never keyspace notifications, which are lost when no one listens), and
 * removes expired keys from the listing index. Safe when two runs reap at once: reap-expired.lua
 * checks and removes each index member atomically. Returns how many events it recorded.
 */
export async function reapExpiredItems(redis: RedisClient, tenantId: string, nowMs: number, requestId: string): Promise<number> {
  const keys = tenantKeys(tenantId);
  let recorded = 0;
  // Members still due but not yet expired by Redis (its clock behind ours) are stepped over, not re-read forever.
  let offset = 0;
  for (;;) {
    const due = await redis.zrangebyscore(keys.dataExpiry, '-inf', nowMs, 'WITHSCORES', 'LIMIT', offset, pageSize);
    if (due.length === 0) return recorded;
    const args: string[] = [keys.dataItemPrefix, tenantId];
    for (let i = 0; i < due.length; i += 2) {
      const member = due[i] ?? '';
      const score = due[i + 1] ?? '0';
      args.push(member, score, expirationEvent(tenantId, member, Number(score), requestId));
    }
    const count = Number(await runScript(redis, scripts.reapExpired, [keys.dataExpiry, keys.dataIndex, keys.audit, pendingKeyOf(redis, tenantId)], args));
    recorded += count;
    offset += due.length / 2 - count;
    if (due.length / 2 < pageSize) return recorded;
  }
}

/** The event of one expired incarnation, stamped with its expiry time. Members are `<created_at_ms>:<key>`. */
function expirationEvent(tenantId: string, member: string, expiredAtMs: number, requestId: string): string {
  const colon = member.indexOf(':');
  const key = colon === -1 ? member : member.slice(colon + 1);
  return auditEvent({ tenantId, requestId, atMs: expiredAtMs, actor: expirationActor, action: 'key_expiration', outcome: 'success', details: { key } });
}
