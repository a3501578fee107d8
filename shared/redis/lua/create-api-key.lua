-- create-api-key: stores a new key's record (hash and start only, never the secret) and indexes it;
-- with an identity, links it there (it shares the identity's limits and credits). The caller must
-- hold every built-in scope the key holds, and those the identity's keys hold.
-- KEY[1] record hash   KEY[2] tenant hash → id index   KEY[3] tenant key list (lex zset of ids)
-- ARG[1] key id   ARG[2] key hash   ARG[3] name   ARG[4] start   ARG[5] scopes (space separated)
-- ARG[6] expiry ms, '' for none   ARG[7] meta (JSON text)   ARG[8] created_by, '' for the caller
-- (`<actor type>:<actor id>`)   ARG[9] most keys the tenant may hold   ARG[10] identity id, '' for none
-- ARG[11..] field, value pairs of its limits and credits (rl_*, ratelimits, quota_*), none for an unlimited key
-- Returns {'ok', field, value, ...} (the record) | {'insufficient_scope'} | {'already_exists'}
-- | {'tenant_api_key_limit'} | {'unknown_identity'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local identity_key = ARG[10] ~= '' and (IDENTITY_PREFIX .. ARG[10]) or nil
if identity_key and redis.call('EXISTS', identity_key) == 0 then
  audit(ACTION, 'failure', 'unknown_identity', member('identity_id', ARG[10]))
  return { 'unknown_identity' }
end
if not may_touch_key(scopes, ARG[5]) or (identity_key and not may_touch_identity(scopes, identity_key)) then
  audit(ACTION, 'denied', 'insufficient_scope')
  return { 'insufficient_scope' }
end
if redis.call('EXISTS', KEY[1]) == 1 or redis.call('HEXISTS', KEY[2], ARG[2]) == 1 then
  audit(ACTION, 'failure', 'already_exists')
  return { 'already_exists' }
end
if redis.call('ZCARD', KEY[3]) >= tonumber(ARG[9]) then
  audit(ACTION, 'failure', 'tenant_api_key_limit')
  return { 'tenant_api_key_limit' }
end
local created_by = ARG[8] ~= '' and ARG[8] or (ACTOR_TYPE .. ':' .. actor_id)
redis.call('HSET', KEY[1], 'key_id', ARG[1], 'hash', ARG[2], 'name', ARG[3], 'start', ARG[4],
  'scopes', ARG[5], 'expires_at', ARG[6], 'meta', ARG[7], 'created_by', created_by, 'created_at', NOW,
  'last_used', '', 'enabled', '1', 'identity_id', ARG[10])
for i = 11, #ARG, 2 do redis.call('HSET', KEY[1], ARG[i], ARG[i + 1]) end
redis.call('HSET', KEY[2], ARG[2], ARG[1])
redis.call('ZADD', KEY[3], 0, ARG[1])
if identity_key then link_key(identity_key, ARG[1], ARG[5], 1) end
audit(ACTION, 'success', nil, member('key_id', ARG[1]) .. (identity_key and member('identity_id', ARG[10]) or ''))
local reply = redis.call('HGETALL', KEY[1])
table.insert(reply, 1, 'ok')
return reply
