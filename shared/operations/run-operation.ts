import { randomUUID } from 'node:crypto';
import { actorOf, type Caller } from '../auth/caller.js';
import { scopesOfRole } from '../auth/scopes.js';
import { auditEventHead, type AuditDetails } from '../audit/event.js';
import { pendingKeyOf } from '../audit/pending-tenants.js';
import { AppError } from '../errors/app-error.js';
import { isErrorCode } from '../errors/codes.js';
import { tenantKeys } from '../redis/keys.js';
import { runScriptWithRetries } from '../redis/run-script.js';
import { frameArgList, frameKeyList, type FrameArgs, type FrameKeys } from '../redis/script-frame.js';
import { scripts, type LuaScript } from '../redis/scripts.js';
import type { Services } from '../services.js';
import type { Call } from './call.js';

export interface OperationInput {
  /** The script's own keys: KEY[1].. in Lua. */
  keys?: string[];
  /** The script's own arguments: ARG[1].. in Lua. */
  args?: (string | number)[];
  /** Added to the operation's audit event: identifiers only. */
  details?: AuditDetails;
}

/** How long a durable write's reply is kept for its retries. */
const operationMarkerMs = 120_000;

/**
 * Runs one operation of a tenant: the caller's live check, the operation and its audit event in one
 * Lua script, one round trip (with a WAIT for a replica when the master has some, and retries when
 * Redis cannot serve: shared/redis/run-script.ts).
 * Returns the reply after its leading 'ok'; any other leading code is thrown as that AppError,
 * marked as audited (the script wrote its event).
 */
export async function runOperation(services: Services, script: LuaScript, call: Call, input: OperationInput = {}): Promise<unknown[]> {
  const operationId = script.durable ? randomUUID() : null;
  const now = services.clock.now();
  const keys = [...frameKeyList(frameKeysOf(services, call.caller, operationId)), ...(input.keys ?? [])];
  const args = [...frameArgList(frameArgsOf(call, now, operationId, input.details)), ...(input.args ?? [])];
  const reply = await runScriptWithRetries(services.redis, services.config.redis, script, keys, args);
  if (!Array.isArray(reply) || reply.length === 0) throw new Error(`script ${script.name} gave no reply`);
  const [status, ...rest] = reply as unknown[];
  if (status === 'ok') return rest;
  if (isErrorCode(status)) {
    if (status === 'rate_limited' || status === 'usage_exceeded') services.metrics.apiKeys.refused(status, call.caller.tenantId);
    const error = new AppError(status, undefined, { headers: status === 'rate_limited' ? rateLimitHeaders(rest, now) : {} });
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
  await runOperation(services, scripts.recordEvent, call, { args: [outcome, reason], details });
}

function frameKeysOf(services: Services, caller: Caller, operationId: string | null): FrameKeys {
  const keys = tenantKeys(caller.tenantId);
  return {
    TENANT_KEY: keys.tenant,
    PRINCIPAL_KEY: caller.kind === 'user' ? keys.user(caller.username) : caller.kind === 'api_key' ? keys.apiKeyHashes : keys.tenant,
    REVOKED_KEY: caller.kind === 'user' ? keys.revokedToken(caller.jti) : keys.tenant,
    AUDIT_KEY: keys.audit,
    MARKER_KEY: operationId ? keys.operation(operationId) : keys.tenant,
    PENDING_KEY: pendingKeyOf(services.redis, caller.tenantId),
  };
}

function frameArgsOf(call: Call, now: number, operationId: string | null, details: AuditDetails | undefined): FrameArgs {
  const { caller } = call;
  const actor = actorOf(caller);
  const keys = tenantKeys(caller.tenantId);
  return {
    GUARD: caller.kind === 'trusted' ? 'none' : caller.kind,
    PROOF: caller.kind === 'user' ? caller.role : caller.kind === 'api_key' ? caller.keyHash : '',
    TOKEN_GEN: caller.kind === 'user' ? (caller.tokenGen ?? '') : '',
    ROLE_SCOPES: caller.kind === 'user' ? scopesOfRole(caller.role).join(' ') : '',
    REQUIRED_SCOPE: call.scope ?? '',
    NOW: now,
    EVENT_HEAD: auditEventHead(caller.tenantId, call.requestId, now, details),
    ACTION: call.action,
    API_KEY_PREFIX: keys.apiKeyPrefix,
    IDENTITY_PREFIX: keys.identityPrefix,
    USAGE_PREFIX: keys.usagePrefix,
    ACTOR_TYPE: actor.type,
    ACTOR_ID: actor.id,
    MARKER_MS: operationId ? operationMarkerMs : '',
    TENANT_ID: caller.tenantId,
  };
}

/** The guard's rate-limit denial carries limit, remaining and the reset time (ms): the 429's headers. */
function rateLimitHeaders([limit, remaining, resetMs]: unknown[], now: number): Record<string, string> {
  const seconds = String(Math.max(1, Math.ceil((Number(resetMs) - now) / 1000)));
  return { 'ratelimit-limit': String(limit), 'ratelimit-remaining': String(remaining), 'ratelimit-reset': seconds, 'retry-after': seconds };
}
