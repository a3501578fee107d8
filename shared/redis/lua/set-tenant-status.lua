-- set-tenant-status: enables or disables a tenant (a disabled tenant's tokens and keys are refused).
-- KEYS: the shared layout (guard "none").   ARGV[12] status: active | disabled
-- Returns {'ok'} | {'not_found'}.
if redis.call('EXISTS', KEYS[1]) == 0 then return { 'not_found' } end
redis.call('HSET', KEYS[1], 'status', ARGV[12])
audit(ARGV[7], 'success')
return { 'ok' }
