-- delete-user: removes a user from the tenant (the caller then releases the global username claim).
-- The caller must hold every scope of the user's role.
-- KEY[1] user hash   KEY[2] tenant user index
-- ARG[1] username
-- Returns {'ok'} | {'not_found'} | {'insufficient_scope'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local role = redis.call('HGET', KEY[1], 'role')
if not role then
  audit(ACTION, 'failure', 'not_found')
  return { 'not_found' }
end
if not may_touch_user(scopes, role) then
  audit(ACTION, 'denied', 'insufficient_scope')
  return { 'insufficient_scope' }
end
redis.call('DEL', KEY[1])
redis.call('ZREM', KEY[2], ARG[1])
audit(ACTION, 'success')
return { 'ok' }
