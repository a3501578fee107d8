-- verify-api-key: checks a presented key against the caller's tenant, in one round trip; a valid
-- verification is one use of the key (rate limit, quota, last_used).
-- KEY[1] tenant hash → id index
-- ARG[1] HMAC of the presented key, '' when its format or checksum was already wrong   ARG[2] scope to require, '' for none
-- Returns {'ok', CODE, key id or '', rate limit or '', rate remaining, rate reset ms, quota remaining or '', field, value, ...}
-- (the fields are those a verification answers with: name, scopes, meta, expires_at, enabled)
-- | {denial}; CODE is VALID, NOT_FOUND, EXPIRED, DISABLED, FORBIDDEN, RATE_LIMITED or USAGE_EXCEEDED.
local scopes, denial = guard()
if denial then return denial end
local code, id, record_key, fields = 'not_found', nil, nil, nil
if ARG[1] ~= '' then code, id, record_key, fields = find_api_key(KEY[1], ARG[1]) end
local rate, quota
if code == 'valid' and ARG[2] ~= '' and not has_scope(fields[3] or '', ARG[2]) then code = 'forbidden' end
if code == 'valid' then
  code, rate, quota = use_api_key(record_key)
  redis.call('HSET', record_key, 'last_used', NOW)
end
local CODE = string.upper(code)
audit(ACTION, code == 'valid' and 'success' or 'failure', nil, member('code', CODE) .. (id and member('key_id', id) or ''))
local reply = { 'ok', CODE, id or '', rate and rate[1] or '', rate and rate[2] or '', rate and rate[3] or '', quota or '' }
if id then
  local names = { 'key_id', 'name', 'scopes', 'meta', 'expires_at', 'enabled' }
  local values = redis.call('HMGET', record_key, unpack(names))
  for i, name in ipairs(names) do
    reply[#reply + 1] = name
    reply[#reply + 1] = values[i] or ''
  end
end
return reply
