-- update-user: changes fields of an existing user.
-- KEYS[6] user hash
-- ARGV[12] username   ARGV[13..] field, value pairs to set (role, full_name, email, disabled, password_hash)
-- Returns {'ok', username, role, full_name, email, disabled, created_at, updated_at} | {'not_found'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
if redis.call('EXISTS', KEYS[6]) == 0 then
  audit(ARGV[7], 'failure', 'not_found')
  return { 'not_found' }
end
for i = 13, #ARGV, 2 do redis.call('HSET', KEYS[6], ARGV[i], ARGV[i + 1]) end
redis.call('HSET', KEYS[6], 'updated_at', ARGV[5])
audit(ARGV[7], 'success')
local user = redis.call('HMGET', KEYS[6], 'username', 'role', 'full_name', 'email', 'disabled', 'created_at', 'updated_at')
return { 'ok', user[1], user[2], user[3], user[4], user[5], user[6], user[7] }
