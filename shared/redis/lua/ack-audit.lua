-- ack-audit: confirms events the sink has stored (Loki answered 2xx): acknowledged in the group, then deleted.
-- Acknowledging and deleting together means an event is either still in the stream or stored, never neither.
-- Then, in the same script, the tenant's mark in the offload's pending-tenants set follows the stream:
-- kept at 0 while events are left, else the time of its next data expiry, else removed.
-- KEYS[1] tenant audit stream   KEYS[2] pending-tenants set holding the tenant   KEYS[3] tenant expiry index
-- ARGV[1] consumer group   ARGV[2] tenant id   ARGV[3..] entry ids
-- Returns the number of entries left in the stream.
local chunk = {}
-- unpack() has a stack limit: work in chunks.
local function flush()
  if #chunk == 0 then return end
  redis.call('XACK', KEYS[1], ARGV[1], unpack(chunk))
  redis.call('XDEL', KEYS[1], unpack(chunk))
  chunk = {}
end
for i = 3, #ARGV do
  chunk[#chunk + 1] = ARGV[i]
  if #chunk == 1000 then flush() end
end
flush()
local left = redis.call('XLEN', KEYS[1])
if left > 0 then
  redis.call('ZADD', KEYS[2], 0, ARGV[2])
else
  local next_expiry = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')[2]
  if next_expiry then redis.call('ZADD', KEYS[2], next_expiry, ARGV[2]) else redis.call('ZREM', KEYS[2], ARGV[2]) end
end
return left
