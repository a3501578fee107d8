-- update-user: changes fields of an existing user.
-- KEY[1] user hash
-- ARG[1] username   ARG[2..] field, value pairs to set (role, full_name, email, disabled, password_hash)
-- Returns {'ok', username, role, full_name, email, disabled, created_at, updated_at} | {'not_found'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
if redis.call('EXISTS', KEY[1]) == 0 then
  audit(ACTION, 'failure', 'not_found')
  return { 'not_found' }
end
for i = 2, #ARG, 2 do redis.call('HSET', KEY[1], ARG[i], ARG[i + 1]) end
redis.call('HSET', KEY[1], 'updated_at', NOW)
audit(ACTION, 'success')
local user = redis.call('HMGET', KEY[1], 'username', 'role', 'full_name', 'email', 'disabled', 'created_at', 'updated_at')
return { 'ok', user[1], user[2], user[3], user[4], user[5], user[6], user[7] }
