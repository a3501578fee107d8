-- update-api-key: changes fields of a key's record (name, scopes, enabled, expiry, limits, meta). The
-- caller must hold every built-in scope the key holds, and every one of its new scopes.
-- KEY[1] record hash
-- ARG[1] key id   ARG[2..] field, value pairs to set
-- Returns {'ok', field, value, ...} | {'not_found'} | {'insufficient_scope'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local current = redis.call('HGET', KEY[1], 'scopes')
if not current then
  audit(ACTION, 'failure', 'not_found', member('key_id', ARG[1]))
  return { 'not_found' }
end
local allowed = may_touch_key(scopes, current)
for i = 2, #ARG, 2 do
  if ARG[i] == 'scopes' then allowed = allowed and may_touch_key(scopes, ARG[i + 1]) end
end
if not allowed then
  audit(ACTION, 'denied', 'insufficient_scope', member('key_id', ARG[1]))
  return { 'insufficient_scope' }
end
for i = 2, #ARG, 2 do redis.call('HSET', KEY[1], ARG[i], ARG[i + 1]) end
audit(ACTION, 'success', nil, member('key_id', ARG[1]))
local reply = redis.call('HGETALL', KEY[1])
table.insert(reply, 1, 'ok')
return reply
