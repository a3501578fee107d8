-- rotate-api-key: gives a key a new secret; the old one keeps working until its grace period ends.
-- The record keeps its id, scopes, limits and history.
-- KEY[1] record hash   KEY[2] tenant hash → id index
-- ARG[1] key id   ARG[2] new secret's hash   ARG[3] new start   ARG[4] old secret valid until, ms ('' or past: not at all)
-- Returns {'ok', hashes no longer valid (space separated), field, value, ...} | {'not_found'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local current = redis.call('HMGET', KEY[1], 'hash', 'previous')
if not current[1] then
  audit(ACTION, 'failure', 'not_found', member('key_id', ARG[1]))
  return { 'not_found' }
end
local keep, dropped = {}, {}
for hash, until_ms in string.gmatch(current[2] or '', '(%x+):(%d+)') do
  if tonumber(until_ms) > NOW_MS then keep[#keep + 1] = hash .. ':' .. until_ms else dropped[#dropped + 1] = hash end
end
if ARG[4] ~= '' and tonumber(ARG[4]) > NOW_MS then
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
