-- delete-user: removes a user from the tenant (the caller then releases the global username claim).
-- KEYS[6] user hash   KEYS[7] tenant user index
-- ARGV[12] username
-- Returns {'ok'} | {'not_found'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
if redis.call('DEL', KEYS[6]) == 0 then
  audit(ARGV[7], 'failure', 'not_found')
  return { 'not_found' }
end
redis.call('ZREM', KEYS[7], ARGV[12])
audit(ARGV[7], 'success')
return { 'ok' }
