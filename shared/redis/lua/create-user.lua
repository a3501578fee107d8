-- create-user: adds a user to the tenant (the global username claim is taken by the caller first).
-- The caller must hold every scope of the new user's role.
-- KEY[1] user hash   KEY[2] tenant user index (lex zset)
-- ARG[1] username   ARG[2] role   ARG[3] full name   ARG[4] email   ARG[5] bcrypt hash
-- ARG[6] token generation: tokens carry it, and only the user's current one is accepted
-- Returns {'ok', username, role, full_name, email, disabled, created_at, updated_at} | {'already_exists'}
-- | {'insufficient_scope'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
if not may_touch_user(scopes, ARG[2]) then
  audit(ACTION, 'denied', 'insufficient_scope')
  return { 'insufficient_scope' }
end
if redis.call('EXISTS', KEY[1]) == 1 then
  audit(ACTION, 'failure', 'already_exists')
  return { 'already_exists' }
end
redis.call('HSET', KEY[1], 'username', ARG[1], 'role', ARG[2], 'full_name', ARG[3], 'email', ARG[4],
  'password_hash', ARG[5], 'disabled', '0', 'token_gen', ARG[6], 'created_at', NOW, 'updated_at', NOW)
redis.call('ZADD', KEY[2], 0, ARG[1])
audit(ACTION, 'success')
local user = redis.call('HMGET', KEY[1], 'username', 'role', 'full_name', 'email', 'disabled', 'created_at', 'updated_at')
return { 'ok', user[1], user[2], user[3], user[4], user[5], user[6], user[7] }
