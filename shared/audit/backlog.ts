import { globalKeys, tenantKeys } from '../redis/keys.js';
import type { Services } from '../services.js';

export interface TenantBacklog {
  /** Events waiting in Redis for the offload. */
  backlog: number;
  /** Events Loki refused, kept in the tenant's dead-letter stream. */
  dead_letters: number;
  /** Age of the oldest waiting event, in seconds (0 when none waits). */
  oldest_pending_age_s: number;
}

export interface AuditBacklog {
  backlog: number;
  dead_letters: number;
  oldest_pending_age_s: number;
  tenants: Record<string, TenantBacklog>;
}

/** What waits to be shipped, per tenant, read without shipping anything: for alerts (GET /function/audit-offload/backlog). */
export async function readAuditBacklog(services: Services): Promise<AuditBacklog> {
  const { redis } = services;
  const now = services.clock.now();
  const tenantIds = (await redis.smembers(globalKeys.tenants)).sort();
  const rows = await Promise.all(
    tenantIds.map(async (tenantId) => {
      const keys = tenantKeys(tenantId);
      const [backlog, deadLetters, oldest] = await Promise.all([redis.xlen(keys.audit), redis.xlen(keys.auditDead), redis.xrange(keys.audit, '-', '+', 'COUNT', 1)]);
      const oldestId = oldest[0]?.[0];
      const oldestMs = oldestId ? Number(oldestId.slice(0, oldestId.indexOf('-'))) : now;
      return [tenantId, { backlog, dead_letters: deadLetters, oldest_pending_age_s: Math.max(0, Math.floor((now - oldestMs) / 1000)) }] as const;
    }),
  );
  const tenants = Object.fromEntries(rows);
  const all = Object.values(tenants);
  return {
    backlog: all.reduce((sum, tenant) => sum + tenant.backlog, 0),
    dead_letters: all.reduce((sum, tenant) => sum + tenant.dead_letters, 0),
    oldest_pending_age_s: all.reduce((max, tenant) => Math.max(max, tenant.oldest_pending_age_s), 0),
    tenants,
  };
}
