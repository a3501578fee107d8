-- create-item: creates a data item if the key is free (racing creates: one wins, the rest get already_exists).
-- KEYS[6] item hash   KEYS[7] tenant data index (lex zset)   KEYS[8] tenant expiry index (zset, score = expiry ms)
-- ARGV[12] key   ARGV[13] value (JSON text)   ARGV[14] metadata (JSON text)
-- ARGV[15] expiry, ms since the epoch, '' for none   ARGV[16] the tenant's key limit
-- Returns {'ok', created_at, version} | {'already_exists'} | {'tenant_key_limit'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local key = ARGV[12]
if redis.call('EXISTS', KEYS[6]) == 1 then
  audit(ARGV[7], 'failure', 'already_exists')
  return { 'already_exists' }
end
if redis.call('ZSCORE', KEYS[7], key) == false and redis.call('ZCARD', KEYS[7]) >= tonumber(ARGV[16]) then
  audit(ARGV[7], 'failure', 'tenant_key_limit')
  return { 'tenant_key_limit' }
end
redis.call('HSET', KEYS[6], 'value', ARGV[13], 'metadata', ARGV[14], 'created_at', ARGV[5], 'updated_at', ARGV[5], 'version', 1)
redis.call('ZADD', KEYS[7], 0, key)
if ARGV[15] ~= '' then
  -- One expiry entry per incarnation of the key, so an unreaped expiry of an older one is kept.
  local expiry_member = ARGV[5] .. ':' .. key
  redis.call('HSET', KEYS[6], 'expiry_member', expiry_member)
  redis.call('PEXPIREAT', KEYS[6], ARGV[15])
  redis.call('ZADD', KEYS[8], ARGV[15], expiry_member)
end
audit(ARGV[7], 'success')
return { 'ok', ARGV[5], 1 }
