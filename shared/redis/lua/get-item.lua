-- get-item: reads one data item.
-- KEY[1] item hash
-- Returns {'ok', value, metadata, created_at, updated_at, version, pttl} | {'not_found'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
-- expiry_member is there only while the item has a TTL (create-item, update-item): PTTL only then.
local item = redis.call('HMGET', KEY[1], 'value', 'metadata', 'created_at', 'updated_at', 'version', 'expiry_member')
if not item[1] then
  audit(ACTION, 'failure', 'not_found')
  return { 'not_found' }
end
audit(ACTION, 'success')
return { 'ok', item[1], item[2], item[3], item[4], item[5], item[6] and redis.call('PTTL', KEY[1]) or -1 }
