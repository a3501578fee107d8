import { randomUUID } from 'node:crypto';
import { actorOf, type Caller } from '../auth/caller.js';
import { scopesOfRole, type Scope } from '../auth/scopes.js';
import type { AuditAction } from '../audit/actions.js';
import { auditEventHead, type AuditDetails } from '../audit/event-head.js';
import { AppError } from '../errors/app-error.js';
import { isErrorCode } from '../errors/codes.js';
import type { Services } from '../services.js';
import { tenantKeys } from './keys.js';
import { replicasToWait } from './client.js';
import { isRedisUnavailable } from './errors.js';
import { RedirectedWriteError, runScriptAndWait, UnconfirmedWriteError } from './run-script.js';
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

/** How long a durable write's reply is kept for its retries. */
const operationMarkerMs = 120_000;

/**
 * Runs a tenant script: the caller's live check, the operation and its audit event in one round trip,
 * pipelined with a WAIT for a replica when the master has replicas (so neither the change nor the
 * event of an acknowledged request can be lost in a failover).
 * Returns the reply after its leading 'ok'; any other leading code is thrown as that AppError.
 *
 * When Redis cannot serve, the operation is tried again with backoff within twice the command
 * timeout: a read only when it certainly did not run (refused, redirected), since a second run would
 * append a second event; a durable write also when its outcome is unknown (connection lost, timeout,
 * no replica confirmation), because it carries an operation marker: a first attempt that was
 * applied answers instead of applying twice.
 */
export async function runTenantScript(services: Services, script: LuaScript, call: Call, input: ScriptInput = {}): Promise<unknown[]> {
  const reply = await runWithRetries(services, script, call, input);
  if (!Array.isArray(reply) || reply.length === 0) throw new Error(`script ${script.name} gave no reply`);
  const [status, ...rest] = reply as unknown[];
  if (status === 'ok') return rest;
  if (isErrorCode(status)) {
    const error = new AppError(status, undefined, { headers: status === 'rate_limited' ? rateLimitHeaders(rest, services.clock.now()) : {} });
    error.audited = true;
    throw error;
  }
  throw new Error(`script ${script.name} replied ${String(status)}`);
}

/** The guard's rate-limit denial carries limit, remaining and the reset time (ms): the 429's headers. */
function rateLimitHeaders([limit, remaining, resetMs]: unknown[], now: number): Record<string, string> {
  const seconds = String(Math.max(1, Math.ceil((Number(resetMs) - now) / 1000)));
  return { 'ratelimit-limit': String(limit), 'ratelimit-remaining': String(remaining), 'ratelimit-reset': seconds, 'retry-after': seconds };
}

async function runWithRetries(services: Services, script: LuaScript, call: Call, input: ScriptInput): Promise<unknown> {
  const operationId = script.durable ? randomUUID() : null;
  // Tries start within twice the command timeout; each may take one timeout: a request answers within three.
  const budgetMs = 2 * services.config.redis.commandTimeoutMs;
  const started = Date.now();
  let delayMs = 50;
  let outcomeUnknown = false;
  for (;;) {
    try {
      return await runOnce(services, script, call, input, operationId);
    } catch (error) {
      const unavailable = isRedisUnavailable(error) || error instanceof UnconfirmedWriteError || error instanceof RedirectedWriteError;
      if (!unavailable) throw error;
      const applied = mayHaveApplied(error);
      outcomeUnknown ||= applied;
      const retriable = script.durable || !applied;
      if (!retriable || Date.now() - started + delayMs >= budgetMs) {
        const detail = script.durable && outcomeUnknown ? 'Database unavailable; the change may or may not have been applied' : undefined;
        throw new AppError('redis_unavailable', detail, { cause: error, expose: detail !== undefined });
      }
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, 500);
    }
  }
}

/** Refusals before execution (never sent, redirected, read-only replica, loading) leave nothing applied. */
function mayHaveApplied(error: unknown): boolean {
  if (error instanceof UnconfirmedWriteError) return true;
  if (error instanceof RedirectedWriteError) return false;
  const message = error instanceof Error ? error.message : '';
  const neverApplied = ['READONLY', 'LOADING', 'MASTERDOWN', 'CLUSTERDOWN', 'TRYAGAIN', "Stream isn't writeable", 'max retries per request'];
  return !neverApplied.some((text) => message.includes(text)) && !(error instanceof Error && error.name === 'MaxRetriesPerRequestError');
}

async function runOnce(services: Services, script: LuaScript, call: Call, input: ScriptInput, operationId: string | null): Promise<unknown> {
  const { caller } = call;
  const keys = tenantKeys(caller.tenantId);
  const now = services.clock.now();
  const actor = actorOf(caller);
  let principal = keys.tenant;
  let revokedMarker = keys.tenant;
  let mode = 'none';
  let proof = '';
  let roleScopes = '';
  if (caller.kind === 'user') {
    mode = 'user';
    principal = keys.user(caller.username);
    revokedMarker = keys.revokedToken(caller.jti);
    proof = caller.role;
    roleScopes = scopesOfRole(caller.role).join(' ');
  } else if (caller.kind === 'api_key') {
    mode = 'api_key';
    principal = keys.apiKeyHashes;
    proof = caller.keyHash;
  }
  const scriptKeys = [keys.tenant, principal, revokedMarker, keys.audit, operationId ? keys.operation(operationId) : keys.tenant, ...(input.keys ?? [])];
  const scriptArgs = [
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
    operationId ? operationMarkerMs : '',
    ...(input.args ?? []),
  ];
  // Every operation appends an audit event, reads included: none is acknowledged before a replica has it.
  const wait = { replicas: await replicasToWait(services.redis, services.config.redis.commandTimeoutMs), timeoutMs: services.config.redis.waitTimeoutMs };
  return runScriptAndWait(services.redis, script, scriptKeys, scriptArgs, wait);
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
