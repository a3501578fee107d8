-- revoke-token: refuses the presented JWT from now until it would have expired.
-- KEYS: the shared layout; KEYS[3] is the presented token's revoked marker.
-- ARGV[12] the token's expiry, ms since the epoch
-- Returns {'ok'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
redis.call('SET', KEYS[3], '1', 'PXAT', ARGV[12])
audit(ARGV[7], 'success')
return { 'ok' }
