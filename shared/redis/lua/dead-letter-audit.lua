-- dead-letter-audit: moves one event Loki refused (400) from the audit stream to the tenant's dead-letter stream, with Loki's reason.
-- Like ack-audit, it then sets the tenant's pending mark from what is left (0, next expiry, or none).
-- KEYS[1] tenant audit stream   KEYS[2] tenant dead-letter stream
-- KEYS[3] pending-tenants set holding the tenant   KEYS[4] tenant expiry index
-- ARGV[1] consumer group   ARGV[2] entry id   ARGV[3] reason (Loki's answer)   ARGV[4] HTTP status   ARGV[5] now, ms
-- ARGV[6] tenant id
-- Returns 1 if moved, 0 if the entry was no longer pending (another run already settled it).
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
local entries = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
local entry = entries[1]
if not entry then return 0 end
local fields = entry[2]
local event = ''
for i = 1, #fields, 2 do
  if fields[i] == 'event' then event = fields[i + 1] end
end
redis.call('XADD', KEYS[2], '*', 'event', event, 'reason', ARGV[3], 'status', ARGV[4], 'source_id', ARGV[2], 'failed_at', ARGV[5])
redis.call('XDEL', KEYS[1], ARGV[2])
settle_pending_mark(KEYS[1], KEYS[3], KEYS[4], ARGV[6])
return 1
