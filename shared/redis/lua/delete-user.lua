-- delete-user: removes a user from the tenant (the caller then releases the global username claim).
-- KEY[1] user hash   KEY[2] tenant user index
-- ARG[1] username
-- Returns {'ok'} | {'not_found'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
if redis.call('DEL', KEY[1]) == 0 then
  audit(ACTION, 'failure', 'not_found')
  return { 'not_found' }
end
redis.call('ZREM', KEY[2], ARG[1])
audit(ACTION, 'success')
return { 'ok' }
