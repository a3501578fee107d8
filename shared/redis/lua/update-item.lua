-- update-item: replaces an existing item's value (and metadata, expiry when given), optionally only at a given version.
-- KEYS[6] item hash   KEYS[7] tenant expiry index
-- ARGV[12] key   ARGV[13] value (JSON text)   ARGV[14] metadata (JSON text), '' to keep
-- ARGV[15] expiry: 'keep' | 'clear' | 'set'   ARGV[16] expiry ms when 'set'   ARGV[17] required version, '' for any
-- Returns {'ok', value, metadata, created_at, updated_at, version, pttl} | {'not_found'} | {'precondition_failed'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local current = redis.call('HMGET', KEYS[6], 'version', 'expiry_member', 'created_at')
if not current[1] then
  audit(ARGV[7], 'failure', 'not_found')
  return { 'not_found' }
end
if ARGV[17] ~= '' and ARGV[17] ~= current[1] then
  audit(ARGV[7], 'failure', 'precondition_failed')
  return { 'precondition_failed' }
end
local version = tonumber(current[1]) + 1
redis.call('HSET', KEYS[6], 'value', ARGV[13], 'updated_at', ARGV[5], 'version', version)
if ARGV[14] ~= '' then redis.call('HSET', KEYS[6], 'metadata', ARGV[14]) end
if ARGV[15] == 'set' then
  local expiry_member = current[2] or (current[3] .. ':' .. ARGV[12])
  redis.call('HSET', KEYS[6], 'expiry_member', expiry_member)
  redis.call('PEXPIREAT', KEYS[6], ARGV[16])
  redis.call('ZADD', KEYS[7], ARGV[16], expiry_member)
elseif ARGV[15] == 'clear' and current[2] then
  redis.call('PERSIST', KEYS[6])
  redis.call('HDEL', KEYS[6], 'expiry_member')
  redis.call('ZREM', KEYS[7], current[2])
end
audit(ARGV[7], 'success')
local item = redis.call('HMGET', KEYS[6], 'value', 'metadata', 'created_at', 'updated_at', 'version')
return { 'ok', item[1], item[2], item[3], item[4], item[5], redis.call('PTTL', KEYS[6]) }
