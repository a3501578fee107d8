-- lib/api-keys.lua: finding an API key by the hash of its secret, and using it: its rate limits and
-- credits, and its identity's, checked and charged together, all or nothing.
--
-- Key record fields read here (KEY_FIELDS): enabled '1'|'0', expires_at ms|'', scopes, hash (the
-- current secret), previous ('<hash>:<until ms> ...': older secrets in their grace period),
-- identity_id, the limit named `default` (rl_limit, rl_window_ms, rl_algorithm), other named limits
-- (ratelimits, JSON: [{name, limit, window_ms, auto_apply, algorithm}]), credits (quota_remaining,
-- quota_refill_amount, quota_refill_interval, quota_refilled_at). An identity record has `ratelimits`
-- and credits_* the same way. A limit's state lives beside its owner's record: `<record>:rl` (the
-- key's default, a log), `<record>:rl:<name>` (a log), `<record>:rlc:<name>` (a counter's hash).

local KEY_FIELDS = { 'enabled', 'expires_at', 'scopes', 'hash', 'previous', 'identity_id', 'rl_limit', 'rl_window_ms',
  'rl_algorithm', 'ratelimits', 'quota_remaining', 'quota_refill_amount', 'quota_refill_interval', 'quota_refilled_at' }
local IDENTITY_FIELDS = { 'external_id', 'meta', 'ratelimits', 'credits_remaining', 'credits_refill_amount',
  'credits_refill_interval', 'credits_refilled_at' }

-- Until when an older secret of a rotated key stays valid, or nil.
local function grace_until(previous, key_hash)
  for hash, until_ms in string.gmatch(previous or '', '(%x+):(%d+)') do
    if hash == key_hash then return tonumber(until_ms) end
  end
  return nil
end

-- Looks an API key up by its hash in the tenant's index. `names`: the fields to read, KEY_FIELDS
-- (the default) followed by any others the caller wants in the same read.
-- Returns code ('valid' | 'not_found' | 'expired' | 'disabled'), key id, record key, the values of `names`.
local function find_api_key(index_key, key_hash, names)
  local id = redis.call('HGET', index_key, key_hash)
  if not id then return 'not_found' end
  local record_key = API_KEY_PREFIX .. id
  local fields = redis.call('HMGET', record_key, unpack(names or KEY_FIELDS))
  if not fields[1] then return 'not_found' end
  if fields[4] ~= key_hash then
    local until_ms = grace_until(fields[5], key_hash)
    if not until_ms or until_ms <= NOW_MS then return 'not_found' end
  end
  if fields[2] and fields[2] ~= '' and tonumber(fields[2]) <= NOW_MS then return 'expired', id, record_key, fields end
  if fields[1] ~= '1' then return 'disabled', id, record_key, fields end
  return 'valid', id, record_key, fields
end

-- A credit pool brought up to date: past a refill boundary, `remaining` is reset to the refill amount
-- and the boundary recorded. `values` are its four fields as read. Returns the pool, or nil for none.
local function credit_pool(owner, prefix, values)
  if not values[1] or values[1] == '' then return nil end
  local pool = { owner = owner, field = prefix .. 'remaining', remaining = tonumber(values[1]) }
  if values[2] and values[2] ~= '' then
    local refilled_at = tonumber(values[4])
    local boundary = next_refill(refilled_at, values[3])
    if boundary <= NOW_MS then
      local steps = 0
      while boundary <= NOW_MS and steps < 100000 do
        refilled_at, boundary, steps = boundary, next_refill(boundary, values[3]), steps + 1
      end
      pool.remaining = tonumber(values[2])
      redis.call('HSET', owner, pool.field, pool.remaining, prefix .. 'refilled_at', refilled_at)
    end
  end
  return pool
end

-- A key's credits brought up to date (the fields are read again: for reads of the record).
local function refreshed_quota(record_key)
  local pool = credit_pool(record_key, 'quota_', redis.call('HMGET', record_key, 'quota_remaining', 'quota_refill_amount', 'quota_refill_interval', 'quota_refilled_at'))
  return pool and pool.remaining
end

-- Adds the limits stored as JSON in an owner's `ratelimits` field.
local function add_named_limits(limits, owner, stored)
  if not stored or stored == '' then return end
  for _, l in ipairs(cjson.decode(stored)) do
    limits[#limits + 1] = { name = l.name, limit = l.limit, window = l.window_ms, algorithm = l.algorithm, auto = l.auto_apply,
      state = owner .. ((l.algorithm == 'counter') and ':rlc:' or ':rl:') .. l.name, owner = owner }
  end
end

-- One limit's use so far and when room is made, before this request: a log trims what left the
-- window and counts the rest; a counter weighs the last window by how much of it still overlaps.
local function limit_state(l)
  if l.algorithm == 'counter' then
    local index = math.floor(NOW_MS / l.window)
    local c = redis.call('HMGET', l.state, 'window', 'current', 'previous')
    local stored, current, previous = tonumber(c[1]), tonumber(c[2]) or 0, tonumber(c[3]) or 0
    if stored ~= index then
      previous = (stored == index - 1) and current or 0
      current = 0
    end
    l.index, l.current, l.previous = index, current, previous
    local overlap = 1 - (NOW_MS - index * l.window) / l.window
    l.used = math.floor(previous * overlap) + current
    l.reset = (index + 1) * l.window
  else
    redis.call('ZREMRANGEBYSCORE', l.state, '-inf', NOW_MS - l.window)
    l.used = redis.call('ZCARD', l.state)
    local oldest = redis.call('ZRANGE', l.state, 0, 0, 'WITHSCORES')
    l.reset = (oldest[2] and tonumber(oldest[2]) or NOW_MS) + l.window
  end
end

-- Charges `l.cost` uses to a limit found within it.
local function charge_limit(l)
  if l.cost <= 0 then return end
  if l.algorithm == 'counter' then
    redis.call('HSET', l.state, 'window', l.index, 'current', l.current + l.cost, 'previous', l.previous)
    redis.call('PEXPIRE', l.state, 2 * l.window)
  else
    local last = redis.call('HINCRBY', l.owner, 'rl_seq', l.cost)
    local members = {}
    for seq = last - l.cost + 1, last do
      members[#members + 1] = NOW_MS
      members[#members + 1] = seq
      if #members >= 2000 then redis.call('ZADD', l.state, unpack(members)); members = {} end
    end
    if #members > 0 then redis.call('ZADD', l.state, unpack(members)) end
    redis.call('PEXPIRE', l.state, l.window)
  end
end

-- One use of a valid key: the key's rate limits and its identity's (those auto-applied, and those a
-- verification names, each at its own cost) and both credit pools (charged `credit_cost`) are
-- checked first, then charged only if every one has room: a use refused by one is charged to none.
-- `requested`: {{name, cost}, ...} or nil. Returns code ('valid' | 'rate_limited' | 'usage_exceeded'
-- | 'unknown_ratelimit'), the limits applied (each with used, reset, exceeded), the credits left
-- ({left = the smallest pool's, key = the key's own}, each nil without a pool), and the identity
-- ({id, key, external_id, meta}, or nil).
local function use_key(record_key, fields, credit_cost, requested)
  -- The common case, a key without limits, credits or identity, asking for no named limit: nothing to check.
  if (fields[6] or '') == '' and (fields[7] or '') == '' and (fields[10] or '') == '' and (fields[11] or '') == '' and not requested then
    return 'valid', {}, {}, nil
  end
  local limits = {}
  if fields[7] and fields[7] ~= '' then
    local counter = fields[9] == 'counter'
    limits[1] = { name = 'default', limit = tonumber(fields[7]), window = tonumber(fields[8]), algorithm = counter and 'counter' or 'log',
      auto = true, state = record_key .. (counter and ':rlc:default' or ':rl'), owner = record_key }
  end
  add_named_limits(limits, record_key, fields[10])
  local identity, identity_values
  if fields[6] and fields[6] ~= '' then
    local identity_key = IDENTITY_PREFIX .. fields[6]
    identity_values = redis.call('HMGET', identity_key, unpack(IDENTITY_FIELDS))
    if identity_values[1] then
      identity = { id = fields[6], key = identity_key, external_id = identity_values[1], meta = identity_values[2] }
      add_named_limits(limits, identity_key, identity_values[3])
    end
  end
  local costs = {}
  for _, r in ipairs(requested or {}) do costs[r.name] = (costs[r.name] or 0) + (r.cost or 1) end
  local applied, known = {}, {}
  for _, l in ipairs(limits) do
    local cost = costs[l.name]
    if cost then known[l.name] = true end
    if cost or l.auto then
      l.cost = cost or 1
      applied[#applied + 1] = l
    end
  end
  for name in pairs(costs) do
    if not known[name] then return 'unknown_ratelimit', {}, nil, identity end
  end
  local limited = false
  for _, l in ipairs(applied) do
    limit_state(l)
    l.exceeded = l.used + l.cost > l.limit
    limited = limited or l.exceeded
  end
  local pools = {}
  pools[#pools + 1] = credit_pool(record_key, 'quota_', { fields[11], fields[12], fields[13], fields[14] })
  if identity then pools[#pools + 1] = credit_pool(identity.key, 'credits_', { identity_values[4], identity_values[5], identity_values[6], identity_values[7] }) end
  local short = false
  for _, pool in ipairs(pools) do short = short or pool.remaining < credit_cost end
  local code = limited and 'rate_limited' or (short and 'usage_exceeded') or 'valid'
  if code == 'valid' then
    for _, l in ipairs(applied) do charge_limit(l) end
    if credit_cost > 0 then
      for _, pool in ipairs(pools) do pool.remaining = redis.call('HINCRBY', pool.owner, pool.field, -credit_cost) end
    end
  end
  local credits = {}
  for _, pool in ipairs(pools) do
    credits.left = credits.left and math.min(credits.left, pool.remaining) or pool.remaining
    if pool.owner == record_key then credits.key = pool.remaining end
  end
  return code, applied, credits, identity
end

-- A limit as a verification reports it: {name, limit, remaining after this request, reset ms, exceeded 1|0}.
local function reported_limit(l, charged)
  local remaining = l.limit - l.used - (charged and l.cost or 0)
  return { l.name, l.limit, math.max(0, remaining), l.reset, l.exceeded and 1 or 0 }
end

-- Removes what a record's rate limits keep beside it (their logs and counters).
local function drop_limit_state(record_key, stored_limits)
  local state = { record_key .. ':rl', record_key .. ':rlc:default' }
  if stored_limits and stored_limits ~= '' then
    for _, l in ipairs(cjson.decode(stored_limits)) do
      state[#state + 1] = record_key .. ':rl:' .. l.name
      state[#state + 1] = record_key .. ':rlc:' .. l.name
    end
  end
  redis.call('DEL', unpack(state))
end
