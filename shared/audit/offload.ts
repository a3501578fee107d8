import { globalKeys, tenantKeys } from '../redis/keys.js';
import type { Services } from '../services.js';

export interface OffloadReport {
  shipped: number;
  tenants: Record<string, { shipped: number; backlog: number }>;
}

const batchSize = 500;

/**
 * Ships every tenant's pending audit events to the sink; an event leaves Redis only after the sink
 * has stored it, so a crash re-sends rather than loses (at least once).
 */
export async function offloadAudit(services: Services): Promise<OffloadReport> {
  const tenantIds = await services.redis.smembers(globalKeys.tenants);
  const report: OffloadReport = { shipped: 0, tenants: {} };
  for (const tenantId of tenantIds.sort()) {
    const shipped = await offloadTenant(services, tenantId);
    const backlog = await services.redis.xlen(tenantKeys(tenantId).audit);
    report.tenants[tenantId] = { shipped, backlog };
    report.shipped += shipped;
  }
  return report;
}

/** Ships one tenant's pending events; returns how many. */
export async function offloadTenant(services: Services, tenantId: string): Promise<number> {
  const stream = tenantKeys(tenantId).audit;
  let shipped = 0;
  for (;;) {
    const entries = await services.redis.xrange(stream, '-', '+', 'COUNT', batchSize);
    if (entries.length === 0) return shipped;
    const events = entries.map(([, fields]) => fields[fields.indexOf('event') + 1] ?? '').filter(Boolean);
    await services.auditSink.write(tenantId, events);
    await services.redis.xdel(stream, ...entries.map(([id]) => id));
    shipped += events.length;
  }
}
