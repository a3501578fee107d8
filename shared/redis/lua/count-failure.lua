-- count-failure: counts one failed login in a fixed window that starts at the first failure.
-- KEYS[1] the counter (per username or per client address)   ARGV[1] window, seconds
-- Returns the count so far.
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
