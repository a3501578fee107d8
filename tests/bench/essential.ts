// The essential work of a verification and of a data read, as issue 15 names it, as Lua scripts on
// the service's own key layout: what any implementation has to do in Redis. The bench replays them
// beside the service's scripts (redis-profile.ts) and reports the ratio.
import type { TenantKeys } from '../../shared/redis/keys.js';
import type { ScriptCall } from './replay.js';

/** Find the key by hash, read its record, stamp last_used, append the event. */
export const essentialVerify = `
local id = redis.call('HGET', KEYS[1], ARGV[1])
local record = redis.call('HGETALL', KEYS[2] .. id)
redis.call('HSET', KEYS[2] .. id, 'last_used', ARGV[2])
redis.call('XADD', KEYS[3], '*', 'event', ARGV[3])
return record`;

/** Read the item, append the event. */
export const essentialRead = `
local item = redis.call('HGETALL', KEYS[1])
redis.call('XADD', KEYS[2], '*', 'event', ARGV[1])
return item`;

/** An audit event of a verification's size and shape. */
export function essentialEvent(tenantId: string): string {
  return JSON.stringify({
    timestamp: new Date().toISOString(),
    tenant_id: tenantId,
    request_id: 'r-0123456789ab',
    actor: { type: 'user', id: `${tenantId}-admin` },
    action: 'verify_api_key',
    outcome: 'success',
    code: 'VALID',
    key_id: 'key_0123456789ABCDEFGHJKMNPQRS',
  });
}

/** The essential verification's call for the key with this hash. */
export function essentialVerifyCall(keys: TenantKeys, keyHash: string, event: string): ScriptCall {
  return [3, keys.apiKeyHashes, keys.apiKeyPrefix, keys.audit, keyHash, String(Date.now()), event];
}

/** The essential data read's call for the item with this Redis key. */
export function essentialReadCall(keys: TenantKeys, itemRedisKey: string, event: string): ScriptCall {
  return [2, itemRedisKey, keys.audit, event];
}
