-- delete-api-key: removes a key's record and its index entries; it stops working at once.
-- KEY[1] record hash   KEY[2] tenant hash → id index   KEY[3] tenant key list
-- ARG[1] key id
-- Returns {'ok', hashes of its secrets, current and in grace (space separated), so the caller can drop the global
-- hash → tenant entries} | {'not_found'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local secrets = redis.call('HMGET', KEY[1], 'hash', 'previous')
local key_hash = secrets[1]
if not key_hash then
  audit(ACTION, 'failure', 'not_found', member('key_id', ARG[1]))
  return { 'not_found' }
end
local hashes = { key_hash }
for hash in string.gmatch(secrets[2] or '', '(%x+):%d+') do hashes[#hashes + 1] = hash end
redis.call('DEL', KEY[1], KEY[1] .. ':rl')
for _, hash in ipairs(hashes) do redis.call('HDEL', KEY[2], hash) end
redis.call('ZREM', KEY[3], ARG[1])
audit(ACTION, 'success', nil, member('key_id', ARG[1]))
return { 'ok', table.concat(hashes, ' ') }
