-- lib/usage.lua: usage, counted in the same round trip as each use of a key: per key, per identity and
-- for the tenant, per hour (kept 90 days) and per day (kept 400 days), the uses by code and the credits
-- spent. Buckets are hashes `USAGE_PREFIX .. owner .. ':' .. h|d .. ':' .. start ms`, with fields
-- `<CODE>` and `credits`; Redis expires each at its retention's end, so nothing sweeps them.

local USAGE_BUCKETS = { { 'h', 3600000, 90 * DAY_MS }, { 'd', DAY_MS, 400 * DAY_MS } }

-- Counts one use with `code` and the credits it spent for the key, its identity (if any) and the tenant.
local function record_usage(key_id, identity_id, code, credits_spent)
  local owners = { 't' }
  if key_id then owners[#owners + 1] = 'k:' .. key_id end
  if identity_id and identity_id ~= '' then owners[#owners + 1] = 'i:' .. identity_id end
  for _, bucket in ipairs(USAGE_BUCKETS) do
    local start = NOW_MS - NOW_MS % bucket[2]
    for _, owner in ipairs(owners) do
      local key = USAGE_PREFIX .. owner .. ':' .. bucket[1] .. ':' .. start
      redis.call('HINCRBY', key, code, 1)
      if credits_spent > 0 then redis.call('HINCRBY', key, 'credits', credits_spent) end
      redis.call('PEXPIREAT', key, start + bucket[3])
    end
  end
end
