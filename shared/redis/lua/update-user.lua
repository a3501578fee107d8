-- update-user: changes fields of an existing user. The caller must hold every scope of the user's
-- role, and of the new role. A new token generation ends every token the user holds.
-- KEY[1] user hash
-- ARG[1] username   ARG[2] new token generation, '' to keep (a change of password, role or disabled sets one)
-- ARG[3..] field, value pairs to set (role, full_name, email, disabled, password_hash)
-- Returns {'ok', username, role, full_name, email, disabled, created_at, updated_at} | {'not_found'}
-- | {'insufficient_scope'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local role = redis.call('HGET', KEY[1], 'role')
if not role then
  audit(ACTION, 'failure', 'not_found')
  return { 'not_found' }
end
local allowed = may_touch_user(scopes, role)
for i = 3, #ARG, 2 do
  if ARG[i] == 'role' then allowed = allowed and may_touch_user(scopes, ARG[i + 1]) end
end
if not allowed then
  audit(ACTION, 'denied', 'insufficient_scope')
  return { 'insufficient_scope' }
end
for i = 3, #ARG, 2 do redis.call('HSET', KEY[1], ARG[i], ARG[i + 1]) end
if ARG[2] ~= '' then redis.call('HSET', KEY[1], 'token_gen', ARG[2]) end
redis.call('HSET', KEY[1], 'updated_at', NOW)
audit(ACTION, 'success')
local user = redis.call('HMGET', KEY[1], 'username', 'role', 'full_name', 'email', 'disabled', 'created_at', 'updated_at')
return { 'ok', user[1], user[2], user[3], user[4], user[5], user[6], user[7] }
