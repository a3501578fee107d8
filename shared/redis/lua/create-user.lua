-- create-user: adds a user to the tenant (the global username claim is taken by the caller first).
-- KEYS[6] user hash   KEYS[7] tenant user index (lex zset)
-- ARGV[12] username   ARGV[13] role   ARGV[14] full name   ARGV[15] email   ARGV[16] bcrypt hash
-- Returns {'ok', username, role, full_name, email, disabled, created_at, updated_at} | {'already_exists'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
if redis.call('EXISTS', KEYS[6]) == 1 then
  audit(ARGV[7], 'failure', 'already_exists')
  return { 'already_exists' }
end
redis.call('HSET', KEYS[6], 'username', ARGV[12], 'role', ARGV[13], 'full_name', ARGV[14], 'email', ARGV[15],
  'password_hash', ARGV[16], 'disabled', '0', 'created_at', ARGV[5], 'updated_at', ARGV[5])
redis.call('ZADD', KEYS[7], 0, ARGV[12])
audit(ARGV[7], 'success')
local user = redis.call('HMGET', KEYS[6], 'username', 'role', 'full_name', 'email', 'disabled', 'created_at', 'updated_at')
return { 'ok', user[1], user[2], user[3], user[4], user[5], user[6], user[7] }
