import { systemCaller } from '../auth/caller.js';
import type { AuditAction } from '../audit/actions.js';
import { toAuditEntry } from '../audit/audit-entry.js';
import { auditEvent } from '../audit/event.js';
import { offloadTenant } from '../audit/offload.js';
import { pendingKeyOf } from '../audit/pending-tenants.js';
import { isoTime } from '../clock.js';
import { AppError } from '../errors/app-error.js';
import { globalKeys, tenantKeyPattern, tenantKeys } from '../redis/keys.js';
import { scanKeys } from '../redis/scan.js';
import { scripts } from '../redis/scripts.js';
import { runOperation } from '../operations/run-operation.js';
import type { Call } from '../operations/call.js';
import type { Services } from '../services.js';
import { createUser } from '../users/users.js';
import { releaseUsername } from '../users/username-claims.js';

export interface TenantSummary {
  tenant_id: string;
  status: 'active' | 'disabled' | 'deleting' | 'incomplete';
  created_at: string | null;
  users: number;
  api_keys: number;
  data_keys: number;
}

function systemCall(tenantId: string, action: AuditAction): Call {
  return { caller: systemCaller(tenantId, 'admin-cli'), action, scope: null, requestId: `cli-${Date.now()}` };
}

/**
 * Creates a tenant and its first admin, or nothing: a failure at any step undoes the steps before it.
 * The tenant list entry is written first, so a crash leaves a visible `incomplete` tenant to delete.
 */
export async function createTenant(services: Services, tenantId: string, admin: { username: string; password: string }): Promise<void> {
  if ((await services.redis.sadd(globalKeys.tenants, tenantId)) === 0) throw new AppError('already_exists', `Tenant ${tenantId} exists`);
  try {
    await runOperation(services, scripts.createTenant, systemCall(tenantId, 'create_tenant'), { args: [tenantId] });
    await createUser(services, systemCall(tenantId, 'create_user'), { username: admin.username, password: admin.password, role: 'admin' });
  } catch (error) {
    await removeTenantKeys(services, tenantId);
    throw error;
  }
}

export async function listTenants(services: Services): Promise<TenantSummary[]> {
  const ids = (await services.redis.smembers(globalKeys.tenants)).sort();
  return Promise.all(
    ids.map(async (tenantId) => {
      const keys = tenantKeys(tenantId);
      const [record, users, apiKeys, dataKeys] = await Promise.all([
        services.redis.hgetall(keys.tenant),
        services.redis.zcard(keys.users),
        services.redis.zcard(keys.apiKeyIndex),
        services.redis.zcard(keys.dataIndex),
      ]);
      const status = record.status === 'active' || record.status === 'disabled' || record.status === 'deleting' ? record.status : 'incomplete';
      return { tenant_id: tenantId, status, created_at: record.created_at ? isoTime(Number(record.created_at)) : null, users, api_keys: apiKeys, data_keys: dataKeys };
    }),
  );
}

/**
 * A disabled tenant's tokens and keys are refused on their next use, and its users cannot log in.
 * A tenant being deleted cannot be enabled or disabled (409 tenant_deleting): only finishing the delete removes it.
 */
export async function setTenantStatus(services: Services, tenantId: string, status: 'active' | 'disabled'): Promise<void> {
  const action = status === 'active' ? 'enable_tenant' : 'disable_tenant';
  await runOperation(services, scripts.setTenantStatus, systemCall(tenantId, action), { args: [status] });
}

/** The steps of a delete, in order; a test may stop it after any of them (`stopAfter`), as a crash would. */
export const deleteSteps = ['marked', 'drained', 'final_event', 'api_key_entries', 'tenant_keys', 'claims', 'record'] as const;
export type DeleteStep = (typeof deleteSteps)[number];

/**
 * Removes every key of a tenant, resumably: interrupted at any point, it is run again and goes on.
 * The tenant is first marked as being deleted (refused like a disabled one, and never enabled again
 * half deleted); its pending audit events are shipped and a final `delete_tenant` event stored with
 * them (the same line on every run, so a re-run's copy is a duplicate the sink drops); then its
 * global API-key entries, its keys, and only then its usernames' claims, so no other tenant can take
 * its users' names while any of it is left; its record and listing go last.
 * Refused, with nothing removed, while the sink cannot take its events or Loki has refused some
 * (its dead-letter stream is not empty): deleting the keys would lose them.
 */
export async function deleteTenant(services: Services, tenantId: string, options: { stopAfter?: (step: DeleteStep) => void } = {}): Promise<void> {
  const stepDone = options.stopAfter ?? (() => undefined);
  const keys = tenantKeys(tenantId);
  const listed = (await services.redis.sismember(globalKeys.tenants, tenantId)) === 1;
  const exists = (await services.redis.exists(keys.tenant)) === 1;
  if (!listed && !exists) throw new AppError('not_found', `No tenant ${tenantId}`);
  if (exists) {
    const [deletingAt] = await runOperation(services, scripts.setTenantStatus, systemCall(tenantId, 'disable_tenant'), { args: ['deleting'] });
    stepDone('marked');
    const drained = await offloadTenant(services, tenantId, { waitForLeaseMs: services.config.audit.offload.leaseMs + 1000 });
    if (drained.backlog > 0) {
      throw new Error(`tenant ${tenantId} not deleted: ${drained.backlog} audit events could not be shipped (${drained.stopped ?? 'unknown'}); try again later`);
    }
    if (drained.dead_letters > 0) {
      throw new Error(`tenant ${tenantId} not deleted: ${drained.dead_letters} audit events refused by Loki wait in ${keys.auditDead}; inspect them first`);
    }
    stepDone('drained');
    const at = Number(deletingAt);
    const finalEvent = auditEvent({ tenantId, requestId: `cli-delete-${at}`, atMs: at, actor: { type: 'system', id: 'admin-cli' }, action: 'delete_tenant', outcome: 'success' });
    const stored = await services.auditSink.write(tenantId, [toAuditEntry(`${at}-0`, finalEvent)]);
    if (!stored.ok) throw new Error(`tenant ${tenantId} not deleted: the audit sink did not take its final event (${stored.reason})`);
    stepDone('final_event');
  }
  await removeTenantKeys(services, tenantId, stepDone);
}

/**
 * Global API-key entries; then the tenant's keys but its record and its users (while a user's record
 * stands, its name's claim is never taken over: shared/users/username-claims.ts); then the claims;
 * then the users and the record; then its mark in the offload's pending set, and the listing.
 */
async function removeTenantKeys(services: Services, tenantId: string, stepDone: (step: DeleteStep) => void = () => undefined): Promise<void> {
  const keys = tenantKeys(tenantId);
  const keyHashes = await services.redis.hkeys(keys.apiKeyHashes);
  await Promise.all(keyHashes.map((hash) => services.redis.del(globalKeys.apiKeyTenant(hash))));
  stepDone('api_key_entries');
  const all = await scanKeys(services.redis, tenantKeyPattern(tenantId));
  const keptToTheEnd = (key: string) => key === keys.tenant || key === keys.users || key.startsWith(keys.user(''));
  for (const key of all.filter((key) => !keptToTheEnd(key))) await services.redis.unlink(key);
  stepDone('tenant_keys');
  const usernames = await services.redis.zrange(keys.users, 0, '-1');
  await Promise.all(usernames.map((username) => releaseUsername(services, username, tenantId)));
  stepDone('claims');
  for (const key of all.filter((key) => keptToTheEnd(key) && key !== keys.tenant)) await services.redis.unlink(key);
  await services.redis.unlink(keys.tenant);
  stepDone('record');
  // After the record: no script audits (and so marks) a tenant whose record is gone.
  await services.redis.zrem(pendingKeyOf(services.redis, tenantId), tenantId);
  await services.redis.srem(globalKeys.tenants, tenantId);
}
