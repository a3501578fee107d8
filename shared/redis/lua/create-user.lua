-- create-user: adds a user to the tenant (the global username claim is taken by the caller first).
-- KEYS[5] user hash   KEYS[6] tenant user index (lex zset)
-- ARGV[11] username   ARGV[12] role   ARGV[13] full name   ARGV[14] email   ARGV[15] bcrypt hash
-- Returns {'ok', username, role, full_name, email, disabled, created_at, updated_at} | {'already_exists'} | {denial}.
local scopes, denial = guard()
if denial then return { denial } end
if redis.call('EXISTS', KEYS[5]) == 1 then
  audit(ARGV[7], 'failure', 'already_exists')
  return { 'already_exists' }
end
redis.call('HSET', KEYS[5], 'username', ARGV[11], 'role', ARGV[12], 'full_name', ARGV[13], 'email', ARGV[14],
  'password_hash', ARGV[15], 'disabled', '0', 'created_at', ARGV[5], 'updated_at', ARGV[5])
redis.call('ZADD', KEYS[6], 0, ARGV[11])
audit(ARGV[7], 'success')
local user = redis.call('HMGET', KEYS[5], 'username', 'role', 'full_name', 'email', 'disabled', 'created_at', 'updated_at')
return { 'ok', user[1], user[2], user[3], user[4], user[5], user[6], user[7] }
