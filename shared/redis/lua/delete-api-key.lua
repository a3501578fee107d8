-- delete-api-key: removes a key's record and its index entries; it stops working at once. The
-- caller must hold every built-in scope the key holds.
-- KEY[1] record hash   KEY[2] tenant hash → id index   KEY[3] tenant key list
-- ARG[1] key id
-- Returns {'ok', hashes of its secrets, current and in grace (space separated), so the caller can drop the global
-- hash → tenant entries} | {'not_found'} | {'insufficient_scope'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local record = redis.call('HMGET', KEY[1], 'hash', 'previous', 'scopes')
local key_hash = record[1]
if not key_hash then
  audit(ACTION, 'failure', 'not_found', member('key_id', ARG[1]))
  return { 'not_found' }
end
if not may_touch_key(scopes, record[3]) then
  audit(ACTION, 'denied', 'insufficient_scope', member('key_id', ARG[1]))
  return { 'insufficient_scope' }
end
local hashes = { key_hash }
for hash in string.gmatch(record[2] or '', '(%x+):%d+') do hashes[#hashes + 1] = hash end
redis.call('DEL', KEY[1], KEY[1] .. ':rl')
for _, hash in ipairs(hashes) do redis.call('HDEL', KEY[2], hash) end
redis.call('ZREM', KEY[3], ARG[1])
audit(ACTION, 'success', nil, member('key_id', ARG[1]))
return { 'ok', table.concat(hashes, ' ') }
