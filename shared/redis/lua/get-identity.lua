-- get-identity: one identity's record (a credits refill that is due is applied first, so it shows)
-- and how many keys it has.
-- KEY[1] identity record   ARG[1] identity id
-- Returns {'ok', key count, field, value, ...} | {'not_found'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
if redis.call('EXISTS', KEY[1]) == 0 then
  audit(ACTION, 'failure', 'not_found', member('identity_id', ARG[1]))
  return { 'not_found' }
end
credit_pool(KEY[1], 'credits_', redis.call('HMGET', KEY[1], 'credits_remaining', 'credits_refill_amount', 'credits_refill_interval', 'credits_refilled_at'))
audit(ACTION, 'success', nil, member('identity_id', ARG[1]))
local reply = { 'ok', redis.call('ZCARD', KEY[1] .. ':keys') }
for _, part in ipairs(redis.call('HGETALL', KEY[1])) do reply[#reply + 1] = part end
return reply
