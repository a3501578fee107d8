-- set-tenant-status: enables or disables a tenant, or marks it as being deleted (its tokens and keys
-- are refused from then on, as a disabled tenant's). A tenant being deleted stays so: only finishing
-- the delete removes it, so it cannot be enabled again half deleted.
-- KEYS: the frame (guard "none").   ARG[1] status: active | disabled | deleting
-- Returns {'ok', the time its deletion started (ms) or ''} | {'not_found'} | {'tenant_deleting'}.
local current = redis.call('HGET', TENANT_KEY, 'status')
if not current then return { 'not_found' } end
if current == 'deleting' and ARG[1] ~= 'deleting' then return { 'tenant_deleting' } end
redis.call('HSET', TENANT_KEY, 'status', ARG[1])
if ARG[1] == 'deleting' then redis.call('HSETNX', TENANT_KEY, 'deleting_at', NOW) end
if current ~= ARG[1] then audit(ACTION, 'success') end
return { 'ok', redis.call('HGET', TENANT_KEY, 'deleting_at') or '' }
