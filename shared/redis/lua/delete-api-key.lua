-- delete-api-key: removes a key's record, its limits' state and its index entries (and its link to
-- its identity); it stops working at once. The caller must hold every built-in scope the key holds.
-- Its usage stays until it expires (for billing).
-- KEY[1] record hash   KEY[2] tenant hash → id index   KEY[3] tenant key list
-- ARG[1] key id
-- Returns {'ok', hashes of its secrets, current and in grace (space separated), so the caller can drop the global
-- hash → tenant entries} | {'not_found'} | {'insufficient_scope'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local record = redis.call('HMGET', KEY[1], 'hash', 'previous', 'scopes', 'identity_id', 'ratelimits')
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
drop_limit_state(KEY[1], record[5])
redis.call('DEL', KEY[1])
for _, hash in ipairs(hashes) do redis.call('HDEL', KEY[2], hash) end
redis.call('ZREM', KEY[3], ARG[1])
if record[4] and record[4] ~= '' then link_key(IDENTITY_PREFIX .. record[4], ARG[1], record[3], -1) end
audit(ACTION, 'success', nil, member('key_id', ARG[1]))
return { 'ok', table.concat(hashes, ' ') }
