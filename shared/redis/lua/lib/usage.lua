-- lib/usage.lua: usage, counted in the same round trip as each verification: per key, per identity
-- and for the tenant, per hour (kept 90 days) and per day (kept 400 days), the verifications by code
-- and the credits spent. To keep a bucket a few bytes, buckets share a hash: an owner's hours of one
-- day (`USAGE_PREFIX .. owner .. ':h:' .. day start`, fields `<hour 0-23>:<CODE>`) and its days of one
-- 30-day block (`... ':d:' .. block start`, fields `<day 0-29>:<CODE>`). Credits spent are the VALID
-- count plus `<index>:extra`, the cost beyond 1 of valid verifications (so the usual cost of 1 costs no
-- command). Redis expires each hash once its last bucket's retention has passed (set when a field
-- first appears), so nothing sweeps them. In the common case a verification costs one HINCRBY per
-- owner and granularity.

local USAGE_GROUPS = {
  -- granularity, bucket size, buckets per hash, retention
  { 'h', 3600000, 24, 90 * DAY_MS },
  { 'd', DAY_MS, 30, 400 * DAY_MS },
}

-- Counts one verification with `code` for the key, its identity (if any) and the tenant; `extra`: the
-- credits it spent beyond 1 (valid verifications only; may be -1 for a cost of 0).
local function record_usage(key_id, identity_id, code, extra)
  local owners = { 't' }
  if key_id then owners[#owners + 1] = 'k:' .. key_id end
  if identity_id and identity_id ~= '' then owners[#owners + 1] = 'i:' .. identity_id end
  for _, group in ipairs(USAGE_GROUPS) do
    local span = group[2] * group[3]
    local first = NOW_MS - NOW_MS % span
    local index = math.floor((NOW_MS - first) / group[2])
    -- Built once per granularity, not per owner: number formatting is most of a key name's cost.
    local suffix, field = ':' .. group[1] .. ':' .. first, index .. ':' .. code
    for _, owner in ipairs(owners) do
      local key = USAGE_PREFIX .. owner .. suffix
      if redis.call('HINCRBY', key, field, 1) == 1 then redis.call('PEXPIREAT', key, first + span + group[4]) end
      if extra ~= 0 then redis.call('HINCRBY', key, index .. ':extra', extra) end
    end
  end
end
