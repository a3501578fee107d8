-- take-over-claim: takes a confirmed (persistent) username claim whose user is gone; a pending claim is left alone.
-- KEYS[1] the claim   ARGV[1] expected owner   ARGV[2] new owner   ARGV[3] pending lifetime, ms
-- Returns 1 if taken over (now pending for the new owner), else 0.
if redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
