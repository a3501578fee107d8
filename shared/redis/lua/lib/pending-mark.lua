-- lib/pending-mark.lua: the offload scripts' one rule for a tenant's mark in the pending-tenants set
-- (shared/audit/pending-tenants.ts), applied in the script that changed the tenant's stream so the
-- mark never lags it: 0 while events wait, else the time of the tenant's next data expiry, else none.

-- Sets `tenant_id`'s mark in `pending_key` from its audit stream and expiry index; returns the
-- events left in the stream.
local function settle_pending_mark(stream_key, pending_key, expiry_key, tenant_id)
  local left = redis.call('XLEN', stream_key)
  if left > 0 then
    redis.call('ZADD', pending_key, 0, tenant_id)
  else
    local next_expiry = redis.call('ZRANGE', expiry_key, 0, 0, 'WITHSCORES')[2]
    if next_expiry then redis.call('ZADD', pending_key, next_expiry, tenant_id) else redis.call('ZREM', pending_key, tenant_id) end
  end
  return left
end
