-- release-attempt: takes back one counted login attempt that turned out not to be a wrong password.
-- A counter whose window has ended is left gone (never recreated without an expiry).
-- KEYS[1] the counter
-- Returns the count left, or 0 when the window had ended.
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count <= 0 then return 0 end
return redis.call('DECR', KEYS[1])
