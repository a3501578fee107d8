-- rotate-api-key: gives a key a new secret. With a grace period the current secret keeps working
-- until it ends (and older ones until theirs); without one every older secret ends now. The record
-- keeps its id, scopes, limits and history. A new secret is as good as a new key: the caller must
-- hold every built-in scope the key holds.
-- KEY[1] record hash   KEY[2] tenant hash → id index
-- ARG[1] key id   ARG[2] new secret's hash   ARG[3] new start   ARG[4] current secret valid until, ms ('': no grace)
-- Returns {'ok', hashes no longer valid (space separated), field, value, ...} | {'not_found'}
-- | {'insufficient_scope'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local current = redis.call('HMGET', KEY[1], 'hash', 'previous', 'scopes')
if not current[1] then
  audit(ACTION, 'failure', 'not_found', member('key_id', ARG[1]))
  return { 'not_found' }
end
if not may_touch_key(scopes, current[3]) then
  audit(ACTION, 'denied', 'insufficient_scope', member('key_id', ARG[1]))
  return { 'insufficient_scope' }
end
local grace = ARG[4] ~= '' and tonumber(ARG[4]) > NOW_MS
local keep, dropped = {}, {}
for hash, until_ms in string.gmatch(current[2] or '', '(%x+):(%d+)') do
  if grace and tonumber(until_ms) > NOW_MS then keep[#keep + 1] = hash .. ':' .. until_ms else dropped[#dropped + 1] = hash end
end
if grace then
  keep[#keep + 1] = current[1] .. ':' .. ARG[4]
else
  dropped[#dropped + 1] = current[1]
end
for _, hash in ipairs(dropped) do redis.call('HDEL', KEY[2], hash) end
redis.call('HSET', KEY[1], 'hash', ARG[2], 'start', ARG[3], 'previous', table.concat(keep, ' '), 'rotated_at', NOW)
redis.call('HSET', KEY[2], ARG[2], ARG[1])
audit(ACTION, 'success', nil, member('key_id', ARG[1]))
local reply = { 'ok', table.concat(dropped, ' ') }
for _, part in ipairs(redis.call('HGETALL', KEY[1])) do reply[#reply + 1] = part end
return reply
