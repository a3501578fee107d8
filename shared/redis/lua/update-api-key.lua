-- update-api-key: changes fields of a key's record (name, scopes, enabled, expiry, meta).
-- KEYS[5] record hash
-- ARGV[11] key id   ARGV[12] built-in scopes the new scope list holds, which the caller must hold ('' when unchanged)
-- ARGV[13..] field, value pairs to set
-- Returns {'ok', field, value, ...} | {'not_found'} | {'insufficient_scope'} | {denial}.
local scopes, denial = guard()
if denial then return { denial } end
if redis.call('EXISTS', KEYS[5]) == 0 then
  audit(ARGV[7], 'failure', 'not_found', member('key_id', ARGV[11]))
  return { 'not_found' }
end
if not has_all(scopes, ARGV[12]) then
  audit(ARGV[7], 'denied', 'insufficient_scope', member('key_id', ARGV[11]))
  return { 'insufficient_scope' }
end
for i = 13, #ARGV, 2 do redis.call('HSET', KEYS[5], ARGV[i], ARGV[i + 1]) end
audit(ARGV[7], 'success', nil, member('key_id', ARGV[11]))
local reply = redis.call('HGETALL', KEYS[5])
table.insert(reply, 1, 'ok')
return reply
