-- create-tenant: the tenant's record, active.
-- KEYS: the shared layout (guard "none").   ARGV[12] tenant id
-- Returns {'ok'} | {'already_exists'}.
if redis.call('EXISTS', KEYS[1]) == 1 then return { 'already_exists' } end
redis.call('HSET', KEYS[1], 'id', ARGV[12], 'status', 'active', 'created_at', ARGV[5])
audit(ARGV[7], 'success')
return { 'ok' }
