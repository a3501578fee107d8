-- create-api-key: stores a new key's record (hash and start only, never the secret) and indexes it.
-- KEY[1] record hash   KEY[2] tenant hash → id index   KEY[3] tenant key list (lex zset of ids)
-- ARG[1] key id   ARG[2] key hash   ARG[3] name   ARG[4] start   ARG[5] scopes (space separated)
-- ARG[6] expiry ms, '' for none   ARG[7] meta (JSON text)   ARG[8] created_by, '' for the caller
-- (`<actor type>:<actor id>`)   ARG[9] most keys the tenant may hold
-- ARG[10..] field, value pairs of its limits (rl_limit, rl_window_ms, quota_*), none for an unlimited key
-- Returns {'ok', field, value, ...} (the record) | {'insufficient_scope'} | {'already_exists'}
-- | {'tenant_api_key_limit'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
if not may_touch_key(scopes, ARG[5]) then
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
  'last_used', '', 'enabled', '1')
for i = 10, #ARG, 2 do redis.call('HSET', KEY[1], ARG[i], ARG[i + 1]) end
redis.call('HSET', KEY[2], ARG[2], ARG[1])
redis.call('ZADD', KEY[3], 0, ARG[1])
audit(ACTION, 'success', nil, member('key_id', ARG[1]))
local reply = redis.call('HGETALL', KEY[1])
table.insert(reply, 1, 'ok')
return reply
