-- revoke-token: refuses the presented JWT from now until it would have expired.
-- KEYS: the frame; REVOKED_KEY is the presented token's revoked marker.
-- ARG[1] the token's expiry, ms since the epoch
-- Returns {'ok'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
redis.call('SET', REVOKED_KEY, '1', 'PXAT', ARG[1])
audit(ACTION, 'success')
return { 'ok' }
