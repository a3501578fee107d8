import { actorOf, type Caller } from '../auth/caller.js';
import { scopesOfRole, type Scope } from '../auth/scopes.js';
import type { AuditAction } from '../audit/actions.js';
import { auditEventHead, type AuditDetails } from '../audit/event-head.js';
import { AppError } from '../errors/app-error.js';
import { isErrorCode } from '../errors/codes.js';
import type { Services } from '../services.js';
import { tenantKeys } from './keys.js';
import { runScript } from './run-script.js';
import { scripts, type LuaScript } from './scripts.js';

/** One authenticated operation: who calls, what it is audited as, and the scope it needs. */
export interface Call {
  caller: Caller;
  action: AuditAction;
  scope: Scope | null;
  requestId: string;
}

export interface ScriptInput {
  keys?: string[];
  args?: (string | number)[];
  /** Added to the operation's audit event: identifiers only. */
  details?: AuditDetails;
}

/**
 * Runs a tenant script: the caller's live check, the operation and its audit event in one round trip.
 * Returns the reply after its leading 'ok'; any other leading code is thrown as that AppError.
 */
export async function runTenantScript(services: Services, script: LuaScript, call: Call, input: ScriptInput = {}): Promise<unknown[]> {
  const { caller } = call;
  const keys = tenantKeys(caller.tenantId);
  const now = services.clock.now();
  const actor = actorOf(caller);
  let principal = keys.tenant;
  let marker = keys.tenant;
  let mode = 'none';
  let proof = '';
  let roleScopes = '';
  if (caller.kind === 'user') {
    mode = 'user';
    principal = keys.user(caller.username);
    marker = keys.revokedToken(caller.jti);
    proof = caller.role;
    roleScopes = scopesOfRole(caller.role).join(' ');
  } else if (caller.kind === 'api_key') {
    mode = 'api_key';
    principal = keys.apiKeyHashes;
    proof = caller.keyHash;
  }
  const reply = await runScript(
    services.redis,
    script,
    [keys.tenant, principal, marker, keys.audit, ...(input.keys ?? [])],
    [
      mode,
      proof,
      roleScopes,
      call.scope ?? '',
      now,
      auditEventHead(caller.tenantId, call.requestId, now, input.details),
      call.action,
      keys.apiKeyPrefix,
      actor.type,
      actor.id,
      ...(input.args ?? []),
    ],
  );
  if (!Array.isArray(reply) || reply.length === 0) throw new Error(`script ${script.name} gave no reply`);
  const [status, ...rest] = reply as unknown[];
  if (status === 'ok') return rest;
  if (isErrorCode(status)) {
    const error = new AppError(status);
    error.audited = true;
    throw error;
  }
  throw new Error(`script ${script.name} replied ${String(status)}`);
}

/** Records an outcome decided outside Redis (validation failure, malformed key, login) with the caller's live check. */
export async function recordEvent(
  services: Services,
  call: Call,
  outcome: 'success' | 'failure' | 'denied',
  reason: string = '',
  details?: AuditDetails,
): Promise<void> {
  await runTenantScript(services, scripts.recordEvent, call, { args: [outcome, reason], details });
}
