-- lib/guard.lua: the caller's live check that opens every tenant script.

local key_denials = { not_found = 'invalid_api_key', expired = 'api_key_expired', disabled = 'api_key_disabled' }

-- Checks the caller against the live records: tenant enabled, token not revoked, user present,
-- enabled, still in the role the token claims and at the token's generation; or API key valid, holding the scope, within its
-- rate limit and quota (this request is one use of it). Returns the caller's scopes, or nil and the
-- denial reply: {code} or, when rate limited, {code, limit, remaining, reset ms}.
local function check_caller()
  local mode = GUARD
  if mode == 'none' then return '*' end
  local status = redis.call('HGET', TENANT_KEY, 'status')
  if not status then return nil, { (mode == 'user') and 'invalid_token' or 'invalid_api_key' } end
  if status ~= 'active' then return nil, { 'tenant_disabled' } end
  if mode == 'user' then
    if redis.call('EXISTS', REVOKED_KEY) == 1 then return nil, { 'token_revoked' } end
    local user = redis.call('HMGET', PRINCIPAL_KEY, 'role', 'disabled', 'token_gen')
    if not user[1] then return nil, { 'invalid_token' } end
    if user[2] == '1' then return nil, { 'user_disabled' } end
    -- A token from before the user's last change of password, role or status, or of a deleted user
    -- whose name was given again: its generation is not the user's.
    if (user[3] or '') ~= TOKEN_GEN then return nil, { 'token_revoked' } end
    if user[1] ~= PROOF then return nil, { 'invalid_token' } end
    if REQUIRED_SCOPE ~= '' and not has_all(ROLE_SCOPES, REQUIRED_SCOPE) then return nil, { 'insufficient_scope' } end
    return ROLE_SCOPES
  end
  local code, id, record_key, fields = find_api_key(PRINCIPAL_KEY, PROOF)
  if id then actor_id = id end
  if code ~= 'valid' then return nil, { key_denials[code] } end
  if REQUIRED_SCOPE ~= '' and not has_all(fields[3], REQUIRED_SCOPE) then return nil, { 'insufficient_scope' } end
  -- A request made with a key is one use of it: cost 1, its auto-applied limits (usage counts verifications only).
  local use, applied = use_key(record_key, fields, 1, nil)
  redis.call('HSET', record_key, 'last_used', NOW)
  if use == 'rate_limited' then
    for _, l in ipairs(applied) do
      if l.exceeded then return nil, { 'rate_limited', l.limit, math.max(0, l.limit - l.used), l.reset } end
    end
  end
  if use == 'usage_exceeded' then return nil, { 'usage_exceeded' } end
  return fields[3]
end

-- Runs check_caller and audits a denial as `access_denied` (but not for a tenant that is gone).
local function guard()
  local scopes, denial = check_caller()
  if denial then
    if redis.call('EXISTS', TENANT_KEY) == 1 then
      audit('access_denied', 'denied', denial[1], member('attempted', ACTION))
    end
    return nil, denial
  end
  return scopes
end
