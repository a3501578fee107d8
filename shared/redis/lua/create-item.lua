-- create-item: creates a data item if the key is free (racing creates: one wins, the rest get already_exists).
-- KEY[1] item hash   KEY[2] tenant data index (lex zset)   KEY[3] tenant expiry index (zset, score = expiry ms)
-- ARG[1] key   ARG[2] value (JSON text)   ARG[3] metadata (JSON text)
-- ARG[4] expiry, ms since the epoch, '' for none   ARG[5] the tenant's key limit
-- Returns {'ok', created_at, version} | {'already_exists'} | {'tenant_key_limit'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local key = ARG[1]
if redis.call('EXISTS', KEY[1]) == 1 then
  audit(ACTION, 'failure', 'already_exists')
  return { 'already_exists' }
end
if redis.call('ZSCORE', KEY[2], key) == false and redis.call('ZCARD', KEY[2]) >= tonumber(ARG[5]) then
  audit(ACTION, 'failure', 'tenant_key_limit')
  return { 'tenant_key_limit' }
end
redis.call('HSET', KEY[1], 'value', ARG[2], 'metadata', ARG[3], 'created_at', NOW, 'updated_at', NOW, 'version', 1)
redis.call('ZADD', KEY[2], 0, key)
if ARG[4] ~= '' then
  -- One expiry entry per incarnation of the key, so an unreaped expiry of an older one is kept.
  local expiry_member = NOW .. ':' .. key
  redis.call('HSET', KEY[1], 'expiry_member', expiry_member)
  redis.call('PEXPIREAT', KEY[1], ARG[4])
  redis.call('ZADD', KEY[3], ARG[4], expiry_member)
end
audit(ACTION, 'success')
return { 'ok', NOW, 1 }
