-- update-api-key: changes fields of a key's record (name, scopes, enabled, expiry, meta).
-- KEYS[6] record hash
-- ARGV[12] key id   ARGV[13] built-in scopes the new scope list holds, which the caller must hold ('' when unchanged)
-- ARGV[14..] field, value pairs to set
-- Returns {'ok', field, value, ...} | {'not_found'} | {'insufficient_scope'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
if redis.call('EXISTS', KEYS[6]) == 0 then
  audit(ARGV[7], 'failure', 'not_found', member('key_id', ARGV[12]))
  return { 'not_found' }
end
if not has_all(scopes, ARGV[13]) then
  audit(ARGV[7], 'denied', 'insufficient_scope', member('key_id', ARGV[12]))
  return { 'insufficient_scope' }
end
for i = 14, #ARGV, 2 do redis.call('HSET', KEYS[6], ARGV[i], ARGV[i + 1]) end
audit(ARGV[7], 'success', nil, member('key_id', ARGV[12]))
local reply = redis.call('HGETALL', KEYS[6])
table.insert(reply, 1, 'ok')
return reply
