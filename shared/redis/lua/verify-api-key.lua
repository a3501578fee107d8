-- verify-api-key: checks a presented key against the caller's tenant, in one round trip. A valid
-- verification is one use of the key: its rate limits and its identity's (those auto-applied and
-- those named, each at its cost) and the credits of both (charged the verification's cost), all or
-- nothing; then last_used, usage and the event.
-- KEY[1] tenant hash → id index
-- ARG[1] HMAC of the presented key, '' when its format or checksum was already wrong   ARG[2] scope to require, '' for none
-- ARG[3] credits to charge (the verification's cost)   ARG[4] limits it names, JSON [{name, cost}], '' for none
-- Returns {'ok', CODE, key id or '', {default limit, remaining, reset} or {}, key credits left or '', credits left or '',
-- {identity id, external id, meta} or {}, {{name, limit, remaining, reset, exceeded 1|0}, ...}, {field, value, ...}}
-- (the fields are those a verification answers with: name, scopes, meta, expires_at, enabled)
-- | {'unknown_ratelimit'} | {denial}; CODE is VALID, NOT_FOUND, EXPIRED, DISABLED, FORBIDDEN, RATE_LIMITED or USAGE_EXCEEDED.
local scopes, denial = guard()
if denial then return denial end
-- The record's fields a verification answers with are read with those it checks, in one HMGET.
local names = { unpack(KEY_FIELDS) }
local NAME, META = #names + 1, #names + 2
names[NAME], names[META] = 'name', 'meta'
local code, id, record_key, fields = 'not_found', nil, nil, nil
if ARG[1] ~= '' then code, id, record_key, fields = find_api_key(KEY[1], ARG[1], names) end
if code == 'valid' and ARG[2] ~= '' and not has_scope(fields[3] or '', ARG[2]) then code = 'forbidden' end
local cost = tonumber(ARG[3])
local applied, credits, identity = {}, {}, nil
if code == 'valid' then
  code, applied, credits, identity = use_key(record_key, fields, cost, ARG[4] ~= '' and cjson.decode(ARG[4]) or nil)
  if code == 'unknown_ratelimit' then
    audit(ACTION, 'failure', 'unknown_ratelimit', member('key_id', id))
    return { 'unknown_ratelimit' }
  end
  redis.call('HSET', record_key, 'last_used', NOW)
end
local CODE = string.upper(code)
local identity_id = identity and identity.id or (fields and fields[6] ~= '' and fields[6]) or nil
record_usage(id, identity_id, CODE, code == 'valid' and cost - 1 or 0)
audit(ACTION, code == 'valid' and 'success' or 'failure', nil,
  member('code', CODE) .. (id and member('key_id', id) or '') .. (identity_id and member('identity_id', identity_id) or ''))
local default, limits = {}, {}
for _, l in ipairs(applied) do
  local reported = reported_limit(l, code == 'valid')
  limits[#limits + 1] = reported
  if l.name == 'default' and l.owner == record_key then default = { reported[2], reported[3], reported[4] } end
end
local reply = { 'ok', CODE, id or '', default, credits.key or '', credits.left or '',
  identity and { identity.id, identity.external_id, identity.meta } or {}, limits }
-- The key's fields as read before this use (a verification changes none of them but last_used).
local record = {}
if id then
  record = { 'key_id', id, 'name', fields[NAME] or '', 'scopes', fields[3] or '', 'meta', fields[META] or '',
    'expires_at', fields[2] or '', 'enabled', fields[1] or '' }
end
reply[#reply + 1] = record
return reply
