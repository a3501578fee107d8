-- create-api-key: stores a new key's record (hash and start only, never the secret) and indexes it.
-- KEYS[6] record hash   KEYS[7] tenant hash → id index   KEYS[8] tenant key list (lex zset of ids)
-- ARGV[12] key id   ARGV[13] key hash   ARGV[14] name   ARGV[15] start   ARGV[16] scopes (space separated)
-- ARGV[17] built-in scopes among them, which the caller must hold   ARGV[18] expiry ms, '' for none
-- ARGV[19] meta (JSON text)   ARGV[20] created_by, '' for the caller (`<actor type>:<actor id>`)
-- ARGV[21..] field, value pairs of its limits (rl_limit, rl_window_ms, quota_*), none for an unlimited key
-- Returns {'ok', field, value, ...} (the record) | {'insufficient_scope'} | {'already_exists'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
if not has_all(scopes, ARGV[17]) then
  audit(ARGV[7], 'denied', 'insufficient_scope')
  return { 'insufficient_scope' }
end
if redis.call('EXISTS', KEYS[6]) == 1 or redis.call('HEXISTS', KEYS[7], ARGV[13]) == 1 then
  audit(ARGV[7], 'failure', 'already_exists')
  return { 'already_exists' }
end
local created_by = ARGV[20] ~= '' and ARGV[20] or (ARGV[9] .. ':' .. actor_id)
redis.call('HSET', KEYS[6], 'key_id', ARGV[12], 'hash', ARGV[13], 'name', ARGV[14], 'start', ARGV[15],
  'scopes', ARGV[16], 'expires_at', ARGV[18], 'meta', ARGV[19], 'created_by', created_by, 'created_at', ARGV[5],
  'last_used', '', 'enabled', '1')
for i = 21, #ARGV, 2 do redis.call('HSET', KEYS[6], ARGV[i], ARGV[i + 1]) end
redis.call('HSET', KEYS[7], ARGV[13], ARGV[12])
redis.call('ZADD', KEYS[8], 0, ARGV[12])
audit(ARGV[7], 'success', nil, member('key_id', ARGV[12]))
local reply = redis.call('HGETALL', KEYS[6])
table.insert(reply, 1, 'ok')
return reply
