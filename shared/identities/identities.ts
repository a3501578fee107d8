import { encodeMeta } from '../api-keys/api-keys.js';
import { isoTime } from '../clock.js';
import { prefixedId } from '../ids.js';
import { creditFields, decodeCredits, decodeLimits, decodeRecord, namedLimitFields } from '../limits/fields.js';
import type { Call } from '../operations/call.js';
import { runOperation } from '../operations/run-operation.js';
import { tenantKeys } from '../redis/keys.js';
import { scripts } from '../redis/scripts.js';
import type { Services } from '../services.js';
import type { Identity, IdentityChange, NewIdentity } from './schemas.js';

/**
 * Identities: the customers a tenant issues keys to. An identity's rate limits and credits are shared
 * by all its keys, and its usage is counted beside theirs. Records live in the tenant's slot, with an
 * index by id (for paging) and one by external_id (unique in the tenant).
 */
export async function createIdentity(services: Services, call: Call, input: NewIdentity): Promise<Identity> {
  const now = services.clock.now();
  const identityId = prefixedId('idt', now);
  const keys = tenantKeys(call.caller.tenantId);
  const reply = await runOperation(services, scripts.createIdentity, call, {
    keys: [keys.identity(identityId), keys.identityIndex, keys.identityExternalIds],
    args: [
      identityId,
      input.external_id,
      encodeMeta(input.meta),
      services.config.apiKeys.maxIdentitiesPerTenant,
      ...namedLimitFields(input.ratelimits),
      ...creditFields('credits_', input.credits, now),
    ],
  });
  return decodeIdentity(0, reply);
}

export async function getIdentity(services: Services, call: Call, identityId: string): Promise<Identity> {
  const [count, ...record] = await runOperation(services, scripts.getIdentity, call, { keys: [tenantKeys(call.caller.tenantId).identity(identityId)], args: [identityId] });
  return decodeIdentity(Number(count), record);
}

/** A page of the tenant's identities in creation order, or the one with `external_id`. */
export async function listIdentities(
  services: Services,
  call: Call,
  query: { limit: number; cursor?: string | undefined; external_id?: string | undefined },
): Promise<{ identities: Identity[]; nextCursor: string | null }> {
  const keys = tenantKeys(call.caller.tenantId);
  const [nextCursor, ...rows] = await runOperation(services, scripts.listIdentities, call, {
    keys: [keys.identityIndex, keys.identityExternalIds],
    args: [query.cursor ?? '', query.limit, query.external_id ?? ''],
    details: query.external_id ? { external_id: query.external_id } : undefined,
  });
  const identities = (rows as unknown[][]).filter((row) => row.length > 1).map(([count, ...record]) => decodeIdentity(Number(count), record));
  return { identities, nextCursor: nextCursor ? String(nextCursor) : null };
}

/** Changes external_id, meta, limits or credits (`ratelimits` replaces the whole list). */
export async function updateIdentity(services: Services, call: Call, identityId: string, change: IdentityChange): Promise<Identity> {
  const fields: string[] = [];
  if (change.meta !== undefined) fields.push('meta', encodeMeta(change.meta));
  if (change.ratelimits !== undefined) fields.push(...namedLimitFields(change.ratelimits ?? [], true));
  if (change.credits !== undefined) fields.push(...creditFields('credits_', change.credits, services.clock.now()));
  const keys = tenantKeys(call.caller.tenantId);
  const [count, ...record] = await runOperation(services, scripts.updateIdentity, call, {
    keys: [keys.identity(identityId), keys.identityExternalIds],
    args: [identityId, change.external_id ?? '', ...fields],
    details: { fields: Object.keys(change).filter((name) => change[name as keyof IdentityChange] !== undefined) },
  });
  return decodeIdentity(Number(count), record);
}

/** Deletes an identity that has no keys (409 while it has). */
export async function deleteIdentity(services: Services, call: Call, identityId: string): Promise<void> {
  const keys = tenantKeys(call.caller.tenantId);
  await runOperation(services, scripts.deleteIdentity, call, { keys: [keys.identity(identityId), keys.identityIndex, keys.identityExternalIds], args: [identityId] });
}

function decodeIdentity(keyCount: number, flat: unknown[]): Identity {
  const record = decodeRecord(flat);
  const field = (name: string) => record.get(name) ?? '';
  return {
    identity_id: field('identity_id'),
    external_id: field('external_id'),
    meta: JSON.parse(field('meta') || '{}') as Identity['meta'],
    ratelimits: decodeLimits(record),
    credits: decodeCredits(record, 'credits_'),
    keys: keyCount,
    created_at: isoTime(Number(field('created_at'))),
    updated_at: isoTime(Number(field('updated_at'))),
  };
}
