-- delete-api-key: removes a key's record and its index entries; it stops working at once.
-- KEYS[6] record hash   KEYS[7] tenant hash → id index   KEYS[8] tenant key list
-- ARGV[12] key id
-- Returns {'ok', hashes of its secrets, current and in grace (space separated), so the caller can drop the global
-- hash → tenant entries} | {'not_found'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local secrets = redis.call('HMGET', KEYS[6], 'hash', 'previous')
local key_hash = secrets[1]
if not key_hash then
  audit(ARGV[7], 'failure', 'not_found', member('key_id', ARGV[12]))
  return { 'not_found' }
end
local hashes = { key_hash }
for hash in string.gmatch(secrets[2] or '', '(%x+):%d+') do hashes[#hashes + 1] = hash end
redis.call('DEL', KEYS[6], KEYS[6] .. ':rl')
for _, hash in ipairs(hashes) do redis.call('HDEL', KEYS[7], hash) end
redis.call('ZREM', KEYS[8], ARGV[12])
audit(ARGV[7], 'success', nil, member('key_id', ARGV[12]))
return { 'ok', table.concat(hashes, ' ') }
