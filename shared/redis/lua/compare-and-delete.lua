-- compare-and-delete: deletes a key only while it holds the expected value (releasing a claim we own).
-- KEYS[1] the key   ARGV[1] expected value
-- Returns 1 if deleted, else 0.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
