-- set-tenant-status: enables or disables a tenant (a disabled tenant's tokens and keys are refused).
-- KEYS: the frame (guard "none").   ARG[1] status: active | disabled
-- Returns {'ok'} | {'not_found'}.
if redis.call('EXISTS', TENANT_KEY) == 0 then return { 'not_found' } end
redis.call('HSET', TENANT_KEY, 'status', ARG[1])
audit(ACTION, 'success')
return { 'ok' }
