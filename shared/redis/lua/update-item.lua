-- update-item: replaces an existing item's value (and metadata, expiry when given), optionally only
-- when it matches If-Match (RFC 9110: `*` matches an existing item, a version list its current version;
-- with If-Match, an absent item fails the precondition too).
-- KEY[1] item hash   KEY[2] tenant expiry index
-- ARG[1] key   ARG[2] value (JSON text)   ARG[3] metadata (JSON text), '' to keep
-- ARG[4] expiry: 'keep' | 'clear' | 'set'   ARG[5] expiry ms when 'set'
-- ARG[6] If-Match: '' none, '*' any existing item, else the matching versions, space separated ('-' matches none)
-- Returns {'ok', value, metadata, created_at, updated_at, version, pttl} | {'not_found'} | {'precondition_failed'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local current = redis.call('HMGET', KEY[1], 'version', 'expiry_member', 'created_at')
local matches = ARG[6] == '' or (current[1] and ARG[6] == '*')
if not matches and current[1] then
  for version in string.gmatch(ARG[6], '%S+') do
    if version == current[1] then matches = true end
  end
end
if not matches then
  audit(ACTION, 'failure', 'precondition_failed')
  return { 'precondition_failed' }
end
if not current[1] then
  audit(ACTION, 'failure', 'not_found')
  return { 'not_found' }
end
local version = tonumber(current[1]) + 1
redis.call('HSET', KEY[1], 'value', ARG[2], 'updated_at', NOW, 'version', version)
if ARG[3] ~= '' then redis.call('HSET', KEY[1], 'metadata', ARG[3]) end
if ARG[4] == 'set' then
  local expiry_member = current[2] or (current[3] .. ':' .. ARG[1])
  redis.call('HSET', KEY[1], 'expiry_member', expiry_member)
  redis.call('PEXPIREAT', KEY[1], ARG[5])
  redis.call('ZADD', KEY[2], ARG[5], expiry_member)
elseif ARG[4] == 'clear' and current[2] then
  redis.call('PERSIST', KEY[1])
  redis.call('HDEL', KEY[1], 'expiry_member')
  redis.call('ZREM', KEY[2], current[2])
end
audit(ACTION, 'success')
local item = redis.call('HMGET', KEY[1], 'value', 'metadata', 'created_at', 'updated_at', 'version')
return { 'ok', item[1], item[2], item[3], item[4], item[5], redis.call('PTTL', KEY[1]) }
