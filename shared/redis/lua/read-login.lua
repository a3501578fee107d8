-- read-login: what a login needs, in one round trip; no guard, no audit (the login flow records its outcome).
-- KEYS[1] tenant record   KEYS[2] user hash
-- Returns {tenant status or false, role or false, disabled, password hash, token generation}.
local tenant_status = redis.call('HGET', KEYS[1], 'status')
local user = redis.call('HMGET', KEYS[2], 'role', 'disabled', 'password_hash', 'token_gen')
return { tenant_status, user[1], user[2], user[3], user[4] }
