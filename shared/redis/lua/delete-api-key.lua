-- delete-api-key: removes a key's record and its index entries; it stops working at once.
-- KEYS[5] record hash   KEYS[6] tenant hash → id index   KEYS[7] tenant key list
-- ARGV[11] key id
-- Returns {'ok', key hash} (so the caller can drop the global hash → tenant entry) | {'not_found'} | {denial}.
local scopes, denial = guard()
if denial then return { denial } end
local key_hash = redis.call('HGET', KEYS[5], 'hash')
if not key_hash then
  audit(ARGV[7], 'failure', 'not_found', member('key_id', ARGV[11]))
  return { 'not_found' }
end
redis.call('DEL', KEYS[5])
redis.call('HDEL', KEYS[6], key_hash)
redis.call('ZREM', KEYS[7], ARGV[11])
audit(ARGV[7], 'success', nil, member('key_id', ARGV[11]))
return { 'ok', key_hash }
