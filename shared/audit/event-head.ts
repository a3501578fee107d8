import { isoTime } from '../clock.js';

/** Details an operation adds to its event: identifiers, never values, passwords, tokens or secrets. */
export type AuditDetails = Record<string, unknown>;

/**
 * The start of an audit event as JSON without its closing brace; the Lua script that runs the
 * operation appends actor, action, outcome and reason once it knows them, in the same round trip.
 */
export function auditEventHead(tenantId: string, requestId: string, nowMs: number, details: AuditDetails = {}): string {
  let head = `{"timestamp":"${isoTime(nowMs)}","tenant_id":${JSON.stringify(tenantId)},"request_id":${JSON.stringify(requestId)}`;
  for (const [name, value] of Object.entries(details)) {
    if (value !== undefined) head += `,${JSON.stringify(name)}:${JSON.stringify(value)}`;
  }
  return head;
}
