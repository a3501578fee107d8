-- reap-expired: records one key_expiration event per data item incarnation whose TTL ran out, and unindexes it.
-- KEYS[1] tenant expiry index (zset: member '<created_at_ms>:<key>', score = expiry ms)
-- KEYS[2] tenant data index (lex zset of keys)   KEYS[3] tenant audit stream
-- KEYS[4] pending-tenants set holding the tenant (marked 0 with the first event, as audit() does)
-- ARGV[1] key prefix of item hashes (items are read inside the tenant's slot)   ARGV[2] tenant id
-- ARGV[3..] triples: expiry member, its score as the caller read it, the key_expiration event (JSON)
-- An incarnation has expired when its member is still indexed at that score and its item is gone
-- (Redis expired it) or now belongs to a newer incarnation (a different expiry_member, or none).
-- Checking and removing the member in one script makes two runs reaping at once record one event.
-- Returns the number of events recorded.
local recorded = 0
for i = 3, #ARGV, 3 do
  local member, score, event = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local current = redis.call('ZSCORE', KEYS[1], member)
  if current and tonumber(current) == tonumber(score) then
    local colon = string.find(member, ':', 1, true)
    local key = colon and string.sub(member, colon + 1) or member
    local item = ARGV[1] .. key
    local gone = redis.call('EXISTS', item) == 0
    if gone or redis.call('HGET', item, 'expiry_member') ~= member then
      redis.call('XADD', KEYS[3], '*', 'event', event)
      redis.call('ZREM', KEYS[1], member)
      if gone then redis.call('ZREM', KEYS[2], key) end
      recorded = recorded + 1
    end
  end
end
if recorded > 0 then redis.call('ZADD', KEYS[4], 0, ARGV[2]) end
return recorded
