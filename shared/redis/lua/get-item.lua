-- get-item: reads one data item.
-- KEYS[6] item hash
-- Returns {'ok', value, metadata, created_at, updated_at, version, pttl} | {'not_found'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local item = redis.call('HMGET', KEYS[6], 'value', 'metadata', 'created_at', 'updated_at', 'version')
if not item[1] then
  audit(ARGV[7], 'failure', 'not_found')
  return { 'not_found' }
end
audit(ARGV[7], 'success')
return { 'ok', item[1], item[2], item[3], item[4], item[5], redis.call('PTTL', KEYS[6]) }
