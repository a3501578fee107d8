import type { Actor } from '../auth/caller.js';
import { isoTime } from '../clock.js';
import type { AuditAction, AuditOutcome } from './actions.js';

/** Details an operation adds to its event: identifiers, never values, passwords, tokens or secrets. */
export type AuditDetails = Record<string, unknown>;

/**
 * The start of an audit event: JSON without its closing brace. An operation's Lua script finishes it
 * (lib/audit.lua: actor, action, outcome, reason, and what only the script knows) in the same round
 * trip as the operation; `auditEvent` finishes it the same way for events written from TypeScript.
 */
export function auditEventHead(tenantId: string, requestId: string, nowMs: number, details: AuditDetails = {}): string {
  let head = `{"timestamp":"${isoTime(nowMs)}","tenant_id":${JSON.stringify(tenantId)},"request_id":${JSON.stringify(requestId)}`;
  for (const [name, value] of Object.entries(details)) {
    if (value !== undefined) head += `,${JSON.stringify(name)}:${JSON.stringify(value)}`;
  }
  return head;
}

export interface AuditEventFields {
  tenantId: string;
  requestId: string;
  atMs: number;
  actor: Actor;
  action: AuditAction;
  outcome: AuditOutcome;
  details?: AuditDetails;
}

/** A whole audit event, as the Lua library writes one (for events recorded outside an operation's script). */
export function auditEvent(fields: AuditEventFields): string {
  const head = auditEventHead(fields.tenantId, fields.requestId, fields.atMs, fields.details);
  return `${head},"actor":${JSON.stringify({ type: fields.actor.type, id: fields.actor.id })},"action":"${fields.action}","outcome":"${fields.outcome}"}`;
}
