-- get-user: one user's public fields (never the password hash).
-- KEY[1] user hash
-- Returns {'ok', username, role, full_name, email, disabled, created_at, updated_at} | {'not_found'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local user = redis.call('HMGET', KEY[1], 'username', 'role', 'full_name', 'email', 'disabled', 'created_at', 'updated_at')
if not user[1] then
  audit(ACTION, 'failure', 'not_found')
  return { 'not_found' }
end
audit(ACTION, 'success')
return { 'ok', user[1], user[2], user[3], user[4], user[5], user[6], user[7] }
