-- renew-lease: extends a lease only while the caller still holds it.
-- KEYS[1] lease key   ARGV[1] the holder's token   ARGV[2] lease length, ms
-- Returns 1 if renewed, 0 if the lease expired or another holder took it.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
