-- delete-identity: removes an identity that has no keys left (its usage stays until it expires). The
-- caller must hold every built-in scope its keys hold (as for a change), whether or not it may go.
-- KEY[1] identity record   KEY[2] tenant identity index   KEY[3] tenant external_id → id index
-- ARG[1] identity id
-- Returns {'ok'} | {'not_found'} | {'insufficient_scope'} | {'identity_has_keys'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local record = redis.call('HMGET', KEY[1], 'external_id', 'ratelimits')
if not record[1] then
  audit(ACTION, 'failure', 'not_found', member('identity_id', ARG[1]))
  return { 'not_found' }
end
if not may_touch_identity(scopes, KEY[1]) then
  audit(ACTION, 'denied', 'insufficient_scope', member('identity_id', ARG[1]))
  return { 'insufficient_scope' }
end
if redis.call('ZCARD', KEY[1] .. ':keys') > 0 then
  audit(ACTION, 'failure', 'identity_has_keys', member('identity_id', ARG[1]))
  return { 'identity_has_keys' }
end
drop_limit_state(KEY[1], record[2])
redis.call('DEL', KEY[1])
redis.call('ZREM', KEY[2], ARG[1])
redis.call('HDEL', KEY[3], record[1])
audit(ACTION, 'success', nil, member('identity_id', ARG[1]))
return { 'ok' }
