-- lib/api-keys.lua: finding an API key by the hash of its secret, and using it (rate limit, quota).
--
-- Record fields read here: enabled '1'|'0', expires_at ms|'', scopes, hash (current secret),
-- previous ('<hash>:<until ms> ...': older secrets still valid during their grace period),
-- rl_limit and rl_window_ms (rate limit), quota_remaining, quota_refill_amount,
-- quota_refill_interval, quota_refilled_at (quota). A key's rate-limit log is `<record key>:rl`.

-- Until when an older secret of a rotated key stays valid, or nil.
local function grace_until(previous, key_hash)
  for hash, until_ms in string.gmatch(previous or '', '(%x+):(%d+)') do
    if hash == key_hash then return tonumber(until_ms) end
  end
  return nil
end

-- Looks an API key up by its hash in the tenant's index.
-- Returns code ('valid' | 'not_found' | 'expired' | 'disabled'), key id, record key, {enabled, expires_at, scopes}.
local function find_api_key(index_key, key_hash)
  local id = redis.call('HGET', index_key, key_hash)
  if not id then return 'not_found' end
  local record_key = API_KEY_PREFIX .. id
  local fields = redis.call('HMGET', record_key, 'enabled', 'expires_at', 'scopes', 'hash', 'previous')
  if not fields[1] then return 'not_found' end
  if fields[4] ~= key_hash then
    local until_ms = grace_until(fields[5], key_hash)
    if not until_ms or until_ms <= NOW_MS then return 'not_found' end
  end
  if fields[2] and fields[2] ~= '' and tonumber(fields[2]) <= NOW_MS then return 'expired', id, record_key, fields end
  if fields[1] ~= '1' then return 'disabled', id, record_key, fields end
  return 'valid', id, record_key, fields
end

-- Brings a quota's refill up to date: past a refill boundary, `remaining` is reset to the refill
-- amount and the boundary recorded. A key without a refill never refills. Returns remaining or nil.
local function refreshed_quota(record_key)
  local q = redis.call('HMGET', record_key, 'quota_remaining', 'quota_refill_amount', 'quota_refill_interval', 'quota_refilled_at')
  if not q[1] or q[1] == '' then return nil end
  local remaining = tonumber(q[1])
  if q[2] and q[2] ~= '' then
    local refilled_at = tonumber(q[4])
    local boundary = next_refill(refilled_at, q[3])
    if boundary <= NOW_MS then
      local steps = 0
      while boundary <= NOW_MS and steps < 100000 do
        refilled_at, boundary, steps = boundary, next_refill(boundary, q[3]), steps + 1
      end
      remaining = tonumber(q[2])
      redis.call('HSET', record_key, 'quota_remaining', remaining, 'quota_refilled_at', refilled_at)
    end
  end
  return remaining
end

-- One use of a valid key: its rate limit (a sliding window log: at most `limit` uses in any
-- `window` ms), then its quota. Returns 'valid' | 'rate_limited' | 'usage_exceeded' and
-- {limit, remaining, reset ms} (or nil without a rate limit) and the quota left (or nil).
local function use_api_key(record_key)
  local rl = redis.call('HMGET', record_key, 'rl_limit', 'rl_window_ms')
  local rate
  if rl[1] and rl[1] ~= '' then
    local limit, window = tonumber(rl[1]), tonumber(rl[2])
    local log = record_key .. ':rl'
    redis.call('ZREMRANGEBYSCORE', log, '-inf', NOW_MS - window)
    local used = redis.call('ZCARD', log)
    if used >= limit then
      local oldest = redis.call('ZRANGE', log, 0, 0, 'WITHSCORES')
      return 'rate_limited', { limit, 0, tonumber(oldest[2]) + window }, nil
    end
    redis.call('ZADD', log, NOW_MS, redis.call('HINCRBY', record_key, 'rl_seq', 1))
    redis.call('PEXPIRE', log, window)
    local oldest = redis.call('ZRANGE', log, 0, 0, 'WITHSCORES')
    rate = { limit, limit - used - 1, tonumber(oldest[2]) + window }
  end
  local remaining = refreshed_quota(record_key)
  if remaining then
    if remaining <= 0 then return 'usage_exceeded', rate, 0 end
    remaining = redis.call('HINCRBY', record_key, 'quota_remaining', -1)
  end
  return 'valid', rate, remaining
end
