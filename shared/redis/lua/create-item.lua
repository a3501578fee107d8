-- create-item: creates a data item if the key is free (racing creates: one wins, the rest get already_exists).
-- KEYS[5] item hash   KEYS[6] tenant data index (lex zset)   KEYS[7] tenant expiry index (zset, score = expiry ms)
-- ARGV[11] key   ARGV[12] value (JSON text)   ARGV[13] metadata (JSON text)
-- ARGV[14] expiry, ms since the epoch, '' for none   ARGV[15] the tenant's key limit
-- Returns {'ok', created_at, version} | {'already_exists'} | {'tenant_key_limit'} | {denial}.
local scopes, denial = guard()
if denial then return { denial } end
local key = ARGV[11]
if redis.call('EXISTS', KEYS[5]) == 1 then
  audit(ARGV[7], 'failure', 'already_exists')
  return { 'already_exists' }
end
if redis.call('ZSCORE', KEYS[6], key) == false and redis.call('ZCARD', KEYS[6]) >= tonumber(ARGV[15]) then
  audit(ARGV[7], 'failure', 'tenant_key_limit')
  return { 'tenant_key_limit' }
end
redis.call('HSET', KEYS[5], 'value', ARGV[12], 'metadata', ARGV[13], 'created_at', ARGV[5], 'updated_at', ARGV[5], 'version', 1)
redis.call('ZADD', KEYS[6], 0, key)
if ARGV[14] ~= '' then
  -- One expiry entry per incarnation of the key, so an unreaped expiry of an older one is kept.
  local expiry_member = ARGV[5] .. ':' .. key
  redis.call('HSET', KEYS[5], 'expiry_member', expiry_member)
  redis.call('PEXPIREAT', KEYS[5], ARGV[14])
  redis.call('ZADD', KEYS[7], ARGV[14], expiry_member)
end
audit(ARGV[7], 'success')
return { 'ok', ARGV[5], 1 }
