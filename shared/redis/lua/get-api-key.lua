-- get-api-key: one key's record (a quota refill that is due is applied first, so it shows).
-- KEYS[6] record hash   ARGV[12] key id
-- Returns {'ok', field, value, ...} | {'not_found'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
refreshed_quota(KEYS[6])
local reply = redis.call('HGETALL', KEYS[6])
if #reply == 0 then
  audit(ARGV[7], 'failure', 'not_found', member('key_id', ARGV[12]))
  return { 'not_found' }
end
audit(ARGV[7], 'success', nil, member('key_id', ARGV[12]))
table.insert(reply, 1, 'ok')
return reply
