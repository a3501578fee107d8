-- update-identity: changes an identity's external id, meta, limits or credits. Its limits and
-- credits are shared by its keys: the caller must hold every built-in scope its keys hold.
-- KEY[1] identity record   KEY[2] tenant external_id → id index
-- ARG[1] identity id   ARG[2] new external id, '' to keep   ARG[3..] field, value pairs to set
-- Returns {'ok', key count, field, value, ...} | {'not_found'} | {'already_exists'} | {'insufficient_scope'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local external_id = redis.call('HGET', KEY[1], 'external_id')
if not external_id then
  audit(ACTION, 'failure', 'not_found', member('identity_id', ARG[1]))
  return { 'not_found' }
end
if not may_touch_identity(scopes, KEY[1]) then
  audit(ACTION, 'denied', 'insufficient_scope', member('identity_id', ARG[1]))
  return { 'insufficient_scope' }
end
if ARG[2] ~= '' and ARG[2] ~= external_id then
  if redis.call('HEXISTS', KEY[2], ARG[2]) == 1 then
    audit(ACTION, 'failure', 'already_exists', member('identity_id', ARG[1]))
    return { 'already_exists' }
  end
  redis.call('HDEL', KEY[2], external_id)
  redis.call('HSET', KEY[2], ARG[2], ARG[1])
  redis.call('HSET', KEY[1], 'external_id', ARG[2])
end
for i = 3, #ARG, 2 do redis.call('HSET', KEY[1], ARG[i], ARG[i + 1]) end
redis.call('HSET', KEY[1], 'updated_at', NOW)
audit(ACTION, 'success', nil, member('identity_id', ARG[1]))
local reply = { 'ok', redis.call('ZCARD', KEY[1] .. ':keys') }
for _, part in ipairs(redis.call('HGETALL', KEY[1])) do reply[#reply + 1] = part end
return reply
