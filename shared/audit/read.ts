import { scripts } from '../redis/scripts.js';
import { runTenantScript, type Call } from '../redis/tenant-script.js';
import type { Services } from '../services.js';
import type { AuditEvent, AuditQuery } from './schemas.js';

const pendingWindow = 1000;

/** The caller's tenant's events, newest first: those already shipped to the sink and those still pending. */
export async function readAuditLogs(services: Services, call: Call, query: AuditQuery): Promise<AuditEvent[]> {
  const tenantId = call.caller.tenantId;
  const pending = (await runTenantScript(services, scripts.readAudit, call, { args: [pendingWindow] })).map(String);
  const matches = (event: AuditEvent) => {
    const at = Date.parse(event.timestamp);
    return (
      event.tenant_id === tenantId &&
      (query.action === undefined || event.action === query.action) &&
      (query.since === undefined || at >= query.since) &&
      (query.until === undefined || at <= query.until)
    );
  };
  const stored = await services.auditSink.readNewest(tenantId, query.limit, (line) => {
    const event = parseEvent(line);
    return event !== null && matches(event);
  });
  // A crash between storing and deleting can leave an event in both places: show it once.
  return [...new Set([...pending, ...stored])]
    .map(parseEvent)
    .filter((event): event is AuditEvent => event !== null && matches(event))
    .sort((a, b) => (a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : 0))
    .slice(0, query.limit);
}

/** A line torn by a crash mid-write is skipped, not fatal to reading the rest. */
function parseEvent(line: string): AuditEvent | null {
  try {
    return JSON.parse(line) as AuditEvent;
  } catch {
    return null;
  }
}
