-- update-api-key: changes fields of a key's record (name, scopes, enabled, expiry, meta).
-- KEY[1] record hash
-- ARG[1] key id   ARG[2] built-in scopes the new scope list holds, which the caller must hold ('' when unchanged)
-- ARG[3..] field, value pairs to set
-- Returns {'ok', field, value, ...} | {'not_found'} | {'insufficient_scope'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
if redis.call('EXISTS', KEY[1]) == 0 then
  audit(ACTION, 'failure', 'not_found', member('key_id', ARG[1]))
  return { 'not_found' }
end
if not has_all(scopes, ARG[2]) then
  audit(ACTION, 'denied', 'insufficient_scope', member('key_id', ARG[1]))
  return { 'insufficient_scope' }
end
for i = 3, #ARG, 2 do redis.call('HSET', KEY[1], ARG[i], ARG[i + 1]) end
audit(ACTION, 'success', nil, member('key_id', ARG[1]))
local reply = redis.call('HGETALL', KEY[1])
table.insert(reply, 1, 'ok')
return reply
