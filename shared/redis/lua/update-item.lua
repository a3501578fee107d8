-- update-item: replaces an existing item's value (and metadata, expiry when given), optionally only at a given version.
-- KEYS[5] item hash   KEYS[6] tenant expiry index
-- ARGV[11] key   ARGV[12] value (JSON text)   ARGV[13] metadata (JSON text), '' to keep
-- ARGV[14] expiry: 'keep' | 'clear' | 'set'   ARGV[15] expiry ms when 'set'   ARGV[16] required version, '' for any
-- Returns {'ok', value, metadata, created_at, updated_at, version, pttl} | {'not_found'} | {'precondition_failed'} | {denial}.
local scopes, denial = guard()
if denial then return { denial } end
local current = redis.call('HMGET', KEYS[5], 'version', 'expiry_member', 'created_at')
if not current[1] then
  audit(ARGV[7], 'failure', 'not_found')
  return { 'not_found' }
end
if ARGV[16] ~= '' and ARGV[16] ~= current[1] then
  audit(ARGV[7], 'failure', 'precondition_failed')
  return { 'precondition_failed' }
end
local version = tonumber(current[1]) + 1
redis.call('HSET', KEYS[5], 'value', ARGV[12], 'updated_at', ARGV[5], 'version', version)
if ARGV[13] ~= '' then redis.call('HSET', KEYS[5], 'metadata', ARGV[13]) end
if ARGV[14] == 'set' then
  local expiry_member = current[2] or (current[3] .. ':' .. ARGV[11])
  redis.call('HSET', KEYS[5], 'expiry_member', expiry_member)
  redis.call('PEXPIREAT', KEYS[5], ARGV[15])
  redis.call('ZADD', KEYS[6], ARGV[15], expiry_member)
elseif ARGV[14] == 'clear' and current[2] then
  redis.call('PERSIST', KEYS[5])
  redis.call('HDEL', KEYS[5], 'expiry_member')
  redis.call('ZREM', KEYS[6], current[2])
end
audit(ARGV[7], 'success')
local item = redis.call('HMGET', KEYS[5], 'value', 'metadata', 'created_at', 'updated_at', 'version')
return { 'ok', item[1], item[2], item[3], item[4], item[5], redis.call('PTTL', KEYS[5]) }
