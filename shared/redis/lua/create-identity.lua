-- create-identity: a customer of the tenant, to whom keys are issued: its record, in the tenant's
-- identity index and its external_id index (external ids are unique in the tenant).
-- KEY[1] identity record   KEY[2] tenant identity index (lex zset of ids)   KEY[3] tenant external_id → id index
-- ARG[1] identity id   ARG[2] external id   ARG[3] meta (JSON text)   ARG[4] most identities the tenant may hold
-- ARG[5..] field, value pairs of its limits and credits (ratelimits, credits_*)
-- Returns {'ok', field, value, ...} (the record) | {'already_exists'} | {'tenant_identity_limit'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
if redis.call('HEXISTS', KEY[3], ARG[2]) == 1 or redis.call('EXISTS', KEY[1]) == 1 then
  audit(ACTION, 'failure', 'already_exists')
  return { 'already_exists' }
end
if redis.call('ZCARD', KEY[2]) >= tonumber(ARG[4]) then
  audit(ACTION, 'failure', 'tenant_identity_limit')
  return { 'tenant_identity_limit' }
end
redis.call('HSET', KEY[1], 'identity_id', ARG[1], 'external_id', ARG[2], 'meta', ARG[3], 'created_at', NOW, 'updated_at', NOW)
for i = 5, #ARG, 2 do redis.call('HSET', KEY[1], ARG[i], ARG[i + 1]) end
redis.call('ZADD', KEY[2], 0, ARG[1])
redis.call('HSET', KEY[3], ARG[2], ARG[1])
audit(ACTION, 'success', nil, member('identity_id', ARG[1]))
local reply = redis.call('HGETALL', KEY[1])
table.insert(reply, 1, 'ok')
return reply
