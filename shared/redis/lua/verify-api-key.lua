-- verify-api-key: checks a presented key against the caller's tenant, in one round trip.
-- KEYS[6] tenant hash → id index
-- ARGV[12] HMAC of the presented key, '' when its format or checksum was already wrong   ARGV[13] scope to require, '' for none
-- Returns {'ok', CODE, key id or '', field, value, ...} | {denial}; CODE is VALID, NOT_FOUND, EXPIRED, DISABLED or FORBIDDEN.
local scopes, denial = guard()
if denial then return { denial } end
local code, id, record_key, fields = 'not_found', nil, nil, nil
if ARGV[12] ~= '' then code, id, record_key, fields = find_api_key(KEYS[6], ARGV[12]) end
local record = {}
if id then
  record = redis.call('HGETALL', record_key)
  if code == 'valid' and ARGV[13] ~= '' then
    if not has_scope(fields[3] or '', ARGV[13]) then code = 'forbidden' end
  end
  if code == 'valid' then redis.call('HSET', record_key, 'last_used', ARGV[5]) end
end
local CODE = string.upper(code)
audit(ARGV[7], code == 'valid' and 'success' or 'failure', nil, member('code', CODE) .. (id and member('key_id', id) or ''))
local reply = { 'ok', CODE, id or '' }
for _, part in ipairs(record) do reply[#reply + 1] = part end
return reply
