-- count-attempt: counts one login attempt in a fixed window that starts at the first one.
-- KEYS[1] the counter (per username or per client address)   ARGV[1] window, ms
-- Returns {the count so far, ms left in the window}.
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { count, redis.call('PTTL', KEYS[1]) }
