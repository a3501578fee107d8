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
return settle_pending_mark(KEYS[1], KEYS[2], KEYS[3], ARGV[2])
