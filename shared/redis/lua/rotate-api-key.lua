-- rotate-api-key: gives a key a new secret; the old one keeps working until its grace period ends.
-- The record keeps its id, scopes, limits and history.
-- KEYS[6] record hash   KEYS[7] tenant hash → id index
-- ARGV[12] key id   ARGV[13] new secret's hash   ARGV[14] new start   ARGV[15] old secret valid until, ms ('' or past: not at all)
-- Returns {'ok', hashes no longer valid (space separated), field, value, ...} | {'not_found'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local current = redis.call('HMGET', KEYS[6], 'hash', 'previous')
if not current[1] then
  audit(ARGV[7], 'failure', 'not_found', member('key_id', ARGV[12]))
  return { 'not_found' }
end
local keep, dropped = {}, {}
for hash, until_ms in string.gmatch(current[2] or '', '(%x+):(%d+)') do
  if tonumber(until_ms) > NOW then keep[#keep + 1] = hash .. ':' .. until_ms else dropped[#dropped + 1] = hash end
end
if ARGV[15] ~= '' and tonumber(ARGV[15]) > NOW then
  keep[#keep + 1] = current[1] .. ':' .. ARGV[15]
else
  dropped[#dropped + 1] = current[1]
end
for _, hash in ipairs(dropped) do redis.call('HDEL', KEYS[7], hash) end
redis.call('HSET', KEYS[6], 'hash', ARGV[13], 'start', ARGV[14], 'previous', table.concat(keep, ' '), 'rotated_at', ARGV[5])
redis.call('HSET', KEYS[7], ARGV[13], ARGV[12])
audit(ARGV[7], 'success', nil, member('key_id', ARGV[12]))
local reply = { 'ok', table.concat(dropped, ' ') }
for _, part in ipairs(redis.call('HGETALL', KEYS[6])) do reply[#reply + 1] = part end
return reply
