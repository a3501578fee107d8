-- compare-and-set: sets a key only while it holds the expected value (taking over an orphaned claim).
-- KEYS[1] the key   ARGV[1] expected value   ARGV[2] new value
-- Returns 1 if set, else 0.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0
