import { tenantKeys } from '../redis/keys.js';
import { scripts } from '../redis/scripts.js';
import { runOperation } from '../operations/run-operation.js';
import type { Call } from '../operations/call.js';
import type { Services } from '../services.js';
import type { AuditEvent, AuditQuery } from './schemas.js';

/** How many of the newest events still in Redis (pending, and dead letters) a read looks at. */
const pendingWindow = 1000;

/**
 * The caller's tenant's events, newest first: those the sink stored (Loki's query_range in the
 * tenant's org, or the local file) and those still in Redis. The Redis read runs first: it is the
 * caller's live check (a member gets 403 before anything is asked of Loki) and audits the read.
 */
export async function readAuditLogs(services: Services, call: Call, query: AuditQuery): Promise<AuditEvent[]> {
  const tenantId = call.caller.tenantId;
  const waiting = (await runOperation(services, scripts.readAudit, call, { keys: [tenantKeys(tenantId).auditDead], args: [pendingWindow] })).map(String);
  const matches = (event: AuditEvent) => {
    const at = Date.parse(event.timestamp);
    return (
      event.tenant_id === tenantId &&
      (query.action === undefined || event.action === query.action) &&
      (query.key_id === undefined || event.key_id === query.key_id) &&
      (query.identity_id === undefined || event.identity_id === query.identity_id) &&
      (query.outcome === undefined || event.outcome === query.outcome) &&
      (query.since === undefined || at >= query.since) &&
      (query.until === undefined || at <= query.until)
    );
  };
  const stored = await services.auditSink.read(tenantId, query, (line) => {
    const event = parseEvent(line);
    return event !== null && matches(event);
  });
  // At least once: an event can be both stored and still in Redis (a crash before its acknowledgement). Shown once.
  return [...new Set([...waiting, ...stored])]
    .map(parseEvent)
    .filter((event): event is AuditEvent => event !== null && matches(event))
    .sort((a, b) => (a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : 0))
    .slice(0, query.limit);
}

/** A line torn by a crash mid-write is skipped, not fatal to reading the rest. */
function parseEvent(line: string): AuditEvent | null {
  try {
    const event = JSON.parse(line) as AuditEvent;
    return typeof event === 'object' && event !== null && typeof event.timestamp === 'string' ? event : null;
  } catch {
    return null;
  }
}
