-- ack-audit: confirms events the sink has stored (Loki answered 2xx): acknowledged in the group, then deleted.
-- Acknowledging and deleting together means an event is either still in the stream or stored, never neither.
-- KEYS[1] tenant audit stream
-- ARGV[1] consumer group   ARGV[2..] entry ids
-- Returns the number of entries deleted from the stream.
local deleted = 0
local chunk = {}
-- unpack() has a stack limit: work in chunks.
local function flush()
  if #chunk == 0 then return end
  redis.call('XACK', KEYS[1], ARGV[1], unpack(chunk))
  deleted = deleted + redis.call('XDEL', KEYS[1], unpack(chunk))
  chunk = {}
end
for i = 2, #ARGV do
  chunk[#chunk + 1] = ARGV[i]
  if #chunk == 1000 then flush() end
end
flush()
return deleted
