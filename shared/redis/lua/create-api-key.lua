-- create-api-key: stores a new key's record (hash and start only, never the secret) and indexes it.
-- KEYS[5] record hash   KEYS[6] tenant hash → id index   KEYS[7] tenant key list (lex zset of ids)
-- ARGV[11] key id   ARGV[12] key hash   ARGV[13] name   ARGV[14] start   ARGV[15] scopes (space separated)
-- ARGV[16] built-in scopes among them, which the caller must hold   ARGV[17] expiry ms, '' for none
-- ARGV[18] meta (JSON text)   ARGV[19] created_by, '' for the caller (`<actor type>:<actor id>`)
-- Returns {'ok', field, value, ...} (the record) | {'insufficient_scope'} | {'already_exists'} | {denial}.
local scopes, denial = guard()
if denial then return { denial } end
if not has_all(scopes, ARGV[16]) then
  audit(ARGV[7], 'denied', 'insufficient_scope')
  return { 'insufficient_scope' }
end
if redis.call('EXISTS', KEYS[5]) == 1 or redis.call('HEXISTS', KEYS[6], ARGV[12]) == 1 then
  audit(ARGV[7], 'failure', 'already_exists')
  return { 'already_exists' }
end
local created_by = ARGV[19] ~= '' and ARGV[19] or (ARGV[9] .. ':' .. actor_id)
redis.call('HSET', KEYS[5], 'key_id', ARGV[11], 'hash', ARGV[12], 'name', ARGV[13], 'start', ARGV[14],
  'scopes', ARGV[15], 'expires_at', ARGV[17], 'meta', ARGV[18], 'created_by', created_by, 'created_at', ARGV[5],
  'last_used', '', 'enabled', '1')
redis.call('HSET', KEYS[6], ARGV[12], ARGV[11])
redis.call('ZADD', KEYS[7], 0, ARGV[11])
audit(ARGV[7], 'success', nil, member('key_id', ARGV[11]))
local reply = redis.call('HGETALL', KEYS[5])
table.insert(reply, 1, 'ok')
return reply
