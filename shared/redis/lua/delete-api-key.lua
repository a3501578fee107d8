-- delete-api-key: removes a key's record and its index entries; it stops working at once.
-- KEYS[6] record hash   KEYS[7] tenant hash → id index   KEYS[8] tenant key list
-- ARGV[12] key id
-- Returns {'ok', key hash} (so the caller can drop the global hash → tenant entry) | {'not_found'} | {denial}.
local scopes, denial = guard()
if denial then return { denial } end
local key_hash = redis.call('HGET', KEYS[6], 'hash')
if not key_hash then
  audit(ARGV[7], 'failure', 'not_found', member('key_id', ARGV[12]))
  return { 'not_found' }
end
redis.call('DEL', KEYS[6])
redis.call('HDEL', KEYS[7], key_hash)
redis.call('ZREM', KEYS[8], ARGV[12])
audit(ARGV[7], 'success', nil, member('key_id', ARGV[12]))
return { 'ok', key_hash }
