import { isoTime } from '../clock.js';
import { AppError } from '../errors/app-error.js';
import { prefixedId } from '../ids.js';
import { globalKeys, tenantKeys } from '../redis/keys.js';
import { scripts } from '../redis/scripts.js';
import { runOperation } from '../operations/run-operation.js';
import type { Call } from '../operations/call.js';
import type { Services } from '../services.js';
import { generateApiKey } from './key-format.js';
import { hashApiKey } from './key-hash.js';
import { creditFields, decodeCredits, decodeLimits, decodeRecord, defaultLimitFields, keyLimitFields } from '../limits/fields.js';
import type { NamedRateLimit } from '../limits/schemas.js';
import type { ApiKey, ApiKeyChange, NewApiKey } from './schemas.js';

type RateLimit = NonNullable<NewApiKey['rate_limit']>;
/** The largest `meta` a key may carry, as JSON (SPEC §11). */
export const maxMetaBytes = 4096;

/**
 * Issues a key. Its secret is returned here once; Redis holds only its HMAC and `start`.
 * The record is written in the tenant first, then the global hash → tenant entry that key
 * authentication reads; if that second write fails the record is removed again.
 */
export async function createApiKey(services: Services, call: Call, input: NewApiKey): Promise<ApiKey & { key_value: string }> {
  const now = services.clock.now();
  const expiresAt = expiryOf(input.expires_at, input.expires_in, now);
  const { key, start } = generateApiKey(input.prefix ?? services.config.apiKeys.defaultPrefix);
  const keyHash = hashApiKey(key, services.config.apiKeys.pepper);
  const keyId = prefixedId('key', now);
  const keys = tenantKeys(call.caller.tenantId);
  const reply = await runOperation(services, scripts.createApiKey, call, {
    keys: [keys.apiKey(keyId), keys.apiKeyHashes, keys.apiKeyIndex],
    args: [
      keyId,
      keyHash,
      input.name,
      start,
      input.scopes.join(' '),
      expiresAt ?? '',
      encodeMeta(input.meta),
      '',
      services.config.apiKeys.maxPerTenant,
      input.identity_id ?? '',
      ...keyLimitFields(limitsOf(input.rate_limit, input.ratelimits)),
      ...creditFields('quota_', input.quota ?? input.credits, now),
    ],
    details: { name: input.name },
  });
  try {
    await services.redis.set(globalKeys.apiKeyTenant(keyHash), call.caller.tenantId);
  } catch (error) {
    // Never shown to anyone, the half-made key is removed again.
    await services.redis
      .multi()
      .del(keys.apiKey(keyId))
      .hdel(keys.apiKeyHashes, keyHash)
      .zrem(keys.apiKeyIndex, keyId)
      .exec()
      .catch(() => undefined);
    throw error;
  }
  return { ...decodeApiKey(reply), key_value: key };
}

export async function getApiKey(services: Services, call: Call, keyId: string): Promise<ApiKey> {
  const keys = tenantKeys(call.caller.tenantId);
  const reply = await runOperation(services, scripts.getApiKey, call, { keys: [keys.apiKey(keyId)], args: [keyId] });
  return decodeApiKey(reply);
}

/** A page of the tenant's keys, or of one identity's. */
export async function listApiKeys(
  services: Services,
  call: Call,
  page: { limit: number; cursor?: string | undefined; identity_id?: string | undefined },
): Promise<{ keys: ApiKey[]; nextCursor: string | null }> {
  const keys = tenantKeys(call.caller.tenantId);
  const [nextCursor, ...records] = await runOperation(services, scripts.listApiKeys, call, {
    keys: [keys.apiKeyIndex],
    args: [page.cursor ?? '', page.limit, page.identity_id ?? ''],
  });
  const found = (records as unknown[][]).filter((record) => record.length > 0).map(decodeApiKey);
  return { keys: found, nextCursor: nextCursor ? String(nextCursor) : null };
}

/**
 * Changes name, scopes, enabled, expiry, limits, credits, meta or identity; disabling or expiring a
 * key takes effect on its next use. `ratelimits` replaces the whole list (`default` included);
 * `rate_limit` only the limit named `default`.
 */
export async function updateApiKey(services: Services, call: Call, keyId: string, change: ApiKeyChange): Promise<ApiKey> {
  const fields: string[] = [];
  if (change.name !== undefined) fields.push('name', change.name);
  if (change.scopes !== undefined) fields.push('scopes', change.scopes.join(' '));
  if (change.enabled !== undefined) fields.push('enabled', change.enabled ? '1' : '0');
  if (change.meta !== undefined) fields.push('meta', encodeMeta(change.meta));
  if (change.ratelimits !== undefined) fields.push(...keyLimitFields(change.ratelimits ?? [], true));
  if (change.rate_limit !== undefined) fields.push(...defaultLimitFields(limitsOf(change.rate_limit ?? undefined, undefined)?.[0]));
  const credits = change.quota !== undefined ? change.quota : change.credits;
  if (credits !== undefined) fields.push(...creditFields('quota_', credits, services.clock.now()));
  if (change.identity_id !== undefined) fields.push('identity_id', change.identity_id ?? '');
  if (change.expires_at !== undefined || change.expires_in !== undefined) {
    fields.push('expires_at', String(expiryOf(change.expires_at ?? undefined, change.expires_in, services.clock.now()) ?? ''));
  }
  const keys = tenantKeys(call.caller.tenantId);
  const reply = await runOperation(services, scripts.updateApiKey, call, {
    keys: [keys.apiKey(keyId)],
    args: [keyId, ...fields],
    details: { fields: changedNames(change) },
  });
  return decodeApiKey(reply);
}

/**
 * Gives the key a new secret, returned once. The old secret keeps working for `gracePeriodS`
 * seconds (0: it stops now); the record keeps its id, scopes, limits and history.
 */
export async function rotateApiKey(services: Services, call: Call, keyId: string, gracePeriodS: number): Promise<ApiKey & { key_value: string }> {
  const now = services.clock.now();
  const keys = tenantKeys(call.caller.tenantId);
  const prefix = (await services.redis.hget(keys.apiKey(keyId), 'start'))?.split('_').slice(0, -1).join('_') || services.config.apiKeys.defaultPrefix;
  const { key, start } = generateApiKey(prefix);
  const keyHash = hashApiKey(key, services.config.apiKeys.pepper);
  const graceEnds = gracePeriodS > 0 ? now + gracePeriodS * 1000 : '';
  const [dropped, ...record] = await runOperation(services, scripts.rotateApiKey, call, {
    keys: [keys.apiKey(keyId), keys.apiKeyHashes],
    args: [keyId, keyHash, start, graceEnds],
    details: { grace_period_s: gracePeriodS },
  });
  await services.redis.set(globalKeys.apiKeyTenant(keyHash), call.caller.tenantId);
  const previous = decodeRecord(record).get('previous') ?? '';
  const graceHash = graceEnds === '' ? undefined : /([0-9a-f]+):\d+$/.exec(previous)?.[1];
  // The old secret's global entry lapses with its grace period; secrets past theirs go now.
  if (graceHash) await services.redis.pexpireat(globalKeys.apiKeyTenant(graceHash), Number(graceEnds));
  await dropGlobalEntries(services, String(dropped));
  return { ...decodeApiKey(record), key_value: key };
}

/** Deletes a key: the next request with it fails, on every replica (the check runs in Redis). */
export async function deleteApiKey(services: Services, call: Call, keyId: string): Promise<void> {
  const keys = tenantKeys(call.caller.tenantId);
  const [hashes] = await runOperation(services, scripts.deleteApiKey, call, { keys: [keys.apiKey(keyId), keys.apiKeyHashes, keys.apiKeyIndex], args: [keyId] });
  await dropGlobalEntries(services, String(hashes));
}

/** Removes the global hash → tenant entries of secrets that no longer work (space-separated hashes). */
async function dropGlobalEntries(services: Services, hashes: string): Promise<void> {
  for (const hash of hashes.split(' ').filter(Boolean)) {
    await services.redis.del(globalKeys.apiKeyTenant(hash));
    services.keyTenants.delete(hash);
  }
}

/** A key's limits as one list: `rate_limit` is the limit named `default`, always applied. */
function limitsOf(rateLimit: RateLimit | undefined, ratelimits: NamedRateLimit[] | undefined): NamedRateLimit[] | undefined {
  const fallback: NamedRateLimit[] = rateLimit ? [{ name: 'default', limit: rateLimit.limit, window_s: rateLimit.window_s, auto_apply: true, algorithm: 'log' }] : [];
  if (ratelimits === undefined && !rateLimit) return undefined;
  return [...fallback, ...(ratelimits ?? [])];
}

function changedNames(change: ApiKeyChange): string[] {
  return Object.entries(change)
    .filter(([, value]) => value !== undefined)
    .map(([name]) => (name === 'expires_in' ? 'expires_at' : name));
}

/** A key's or an identity's meta as stored: JSON of at most `maxMetaBytes` (every tenant shares one Redis). */
export function encodeMeta(meta: ApiKey['meta']): string {
  const text = JSON.stringify(meta);
  if (Buffer.byteLength(text) > maxMetaBytes) throw new AppError('value_too_large', `meta is larger than ${maxMetaBytes} bytes`);
  return text;
}

function expiryOf(expiresAt: number | undefined, expiresIn: number | undefined, now: number): number | null {
  if (expiresIn !== undefined) return now + expiresIn * 1000;
  if (expiresAt === undefined) return null;
  if (expiresAt <= now) throw new AppError('validation_error', [{ loc: ['body', 'expires_at'], msg: 'expires_at must be in the future', type: 'value_error' }]);
  return expiresAt;
}

/** A record from HGETALL's flat field, value list; hashes never leave this function. */
export function decodeApiKey(flat: unknown[]): ApiKey {
  const record = decodeRecord(flat);
  const field = (name: string) => record.get(name) ?? '';
  const number = (name: string) => Number(field(name));
  const time = (name: string) => (field(name) === '' ? null : isoTime(Number(field(name))));
  const json = (name: string) => (field(name) === '' ? null : (JSON.parse(field(name)) as unknown));
  return {
    key_id: field('key_id'),
    name: field('name'),
    start: field('start'),
    scopes: field('scopes') === '' ? [] : field('scopes').split(' '),
    created_at: time('created_at') ?? '',
    created_by: field('created_by'),
    expires_at: time('expires_at'),
    last_used: time('last_used'),
    enabled: field('enabled') === '1',
    rate_limit: field('rl_limit') === '' ? null : { limit: number('rl_limit'), window_s: number('rl_window_ms') / 1000 },
    quota: decodeCredits(record, 'quota_'),
    meta: (json('meta') ?? {}) as ApiKey['meta'],
    identity_id: field('identity_id') || null,
    ratelimits: decodeLimits(record),
    credits: decodeCredits(record, 'quota_'),
  };
}
