-- finish-audit-visit: ends an offload run's visit of a tenant in one round trip: releases the run's
-- lease if it still holds it, sets the tenant's pending mark from what is left (0 while events wait,
-- else its next data expiry, else none: a stale mark, such as a deleted tenant's, goes here), and
-- counts what waits.
-- KEYS[1] tenant lease   KEYS[2] tenant audit stream   KEYS[3] tenant dead-letter stream
-- KEYS[4] pending-tenants set holding the tenant   KEYS[5] tenant expiry index
-- ARGV[1] the run's lease token   ARGV[2] tenant id
-- Returns {events left in the stream, events in the dead-letter stream}.
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
local left = settle_pending_mark(KEYS[2], KEYS[4], KEYS[5], ARGV[2])
return { left, redis.call('XLEN', KEYS[3]) }
