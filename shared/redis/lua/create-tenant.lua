-- create-tenant: the tenant's record, active.
-- KEYS: the frame (guard "none").   ARG[1] tenant id
-- Returns {'ok'} | {'already_exists'}.
if redis.call('EXISTS', TENANT_KEY) == 1 then return { 'already_exists' } end
redis.call('HSET', TENANT_KEY, 'id', ARG[1], 'status', 'active', 'created_at', NOW)
audit(ACTION, 'success')
return { 'ok' }
