-- get-api-key: one key's record (a quota refill that is due is applied first, so it shows).
-- KEY[1] record hash   ARG[1] key id
-- Returns {'ok', field, value, ...} | {'not_found'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
refreshed_quota(KEY[1])
local reply = redis.call('HGETALL', KEY[1])
if #reply == 0 then
  audit(ACTION, 'failure', 'not_found', member('key_id', ARG[1]))
  return { 'not_found' }
end
audit(ACTION, 'success', nil, member('key_id', ARG[1]))
table.insert(reply, 1, 'ok')
return reply
