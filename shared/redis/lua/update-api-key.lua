-- update-api-key: changes fields of a key's record (name, scopes, enabled, expiry, limits, credits,
-- meta, identity). The caller must hold every built-in scope the key holds and every one of its new
-- scopes, and those of the keys of the identity it leaves and of the one it joins.
-- KEY[1] record hash
-- ARG[1] key id   ARG[2..] field, value pairs to set (identity_id '' unlinks)
-- Returns {'ok', field, value, ...} | {'not_found'} | {'insufficient_scope'} | {'unknown_identity'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local current = redis.call('HMGET', KEY[1], 'scopes', 'identity_id')
if not current[1] then
  audit(ACTION, 'failure', 'not_found', member('key_id', ARG[1]))
  return { 'not_found' }
end
local old_scopes, old_identity = current[1], current[2] or ''
local new_scopes, new_identity = old_scopes, old_identity
for i = 2, #ARG, 2 do
  if ARG[i] == 'scopes' then new_scopes = ARG[i + 1] end
  if ARG[i] == 'identity_id' then new_identity = ARG[i + 1] end
end
local old_key = old_identity ~= '' and (IDENTITY_PREFIX .. old_identity) or nil
local new_key = new_identity ~= '' and (IDENTITY_PREFIX .. new_identity) or nil
if new_key and new_identity ~= old_identity and redis.call('EXISTS', new_key) == 0 then
  audit(ACTION, 'failure', 'unknown_identity', member('key_id', ARG[1]) .. member('identity_id', new_identity))
  return { 'unknown_identity' }
end
local allowed = may_touch_key(scopes, old_scopes) and may_touch_key(scopes, new_scopes)
  and (not old_key or may_touch_identity(scopes, old_key)) and (not new_key or may_touch_identity(scopes, new_key))
if not allowed then
  audit(ACTION, 'denied', 'insufficient_scope', member('key_id', ARG[1]))
  return { 'insufficient_scope' }
end
for i = 2, #ARG, 2 do redis.call('HSET', KEY[1], ARG[i], ARG[i + 1]) end
if old_identity ~= new_identity or old_scopes ~= new_scopes then
  if old_key then link_key(old_key, ARG[1], old_scopes, -1) end
  if new_key then link_key(new_key, ARG[1], new_scopes, 1) end
end
audit(ACTION, 'success', nil, member('key_id', ARG[1]))
local reply = redis.call('HGETALL', KEY[1])
table.insert(reply, 1, 'ok')
return reply
