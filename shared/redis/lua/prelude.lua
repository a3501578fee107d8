-- prelude.lua: prepended to every tenant script by shared/redis/scripts.ts, which wraps the
-- script's own body in `main()` and returns `finish(main())`.
--
-- Every tenant script shares this layout; its own KEYS start at 6 and its own ARGV at 12.
--   KEYS[1] tenant record (hash: status)
--   KEYS[2] principal record: the user's hash (guard "user") or the tenant's api-key hash index ("api_key")
--   KEYS[3] revoked-token marker of the presented JWT (guard "user"; any same-slot key otherwise)
--   KEYS[4] tenant audit stream
--   KEYS[5] operation marker: the reply of this operation, kept a short while so a retried write
--           (outcome unknown after a dropped connection or failover) answers as the first attempt did
--   ARGV[1] guard: none | user | api_key
--   ARGV[2] proof: the role claimed by the JWT (user) or HMAC of the presented key (api_key)
--   ARGV[3] scopes of the claimed role, space separated (user)
--   ARGV[4] scope the operation requires, '' for none
--   ARGV[5] now, ms since the epoch (the service clock, injectable in tests)
--   ARGV[6] audit event head: a JSON object without its closing brace
--   ARGV[7] action (audit name of the operation)
--   ARGV[8] key prefix of api-key records (records are read by id inside the tenant's slot)
--   ARGV[9] actor type, ARGV[10] actor id (an API key's start until the guard resolves its id)
--   ARGV[11] how long to keep the operation marker, ms; '' for reads, which keep none
-- Replies: a table whose first element is 'ok' or an error code from shared/errors/codes.ts.

local NOW = tonumber(ARGV[5])
local actor_id = ARGV[10]
local MARKED = ARGV[11] ~= ''

-- A retried write whose first attempt was applied: answer as it did, apply nothing again.
if MARKED then
  local stored = redis.call('GET', KEYS[5])
  if stored then return cjson.decode(stored) end
end

-- Records an applied write's reply under its operation marker (see KEYS[5]), then returns it.
-- A refusal is not recorded: trying it again changes nothing.
local function finish(reply)
  if MARKED and reply[1] == 'ok' then redis.call('SET', KEYS[5], cjson.encode(reply), 'PX', ARGV[11]) end
  return reply
end

-- Strips what could break the JSON string it is put in (ids and codes never contain these).
local function safe(text)
  return (string.gsub(tostring(text), '[%c"\\]', ''))
end

-- A JSON string member to pass as `extra` to audit().
local function member(name, value)
  return ',"' .. name .. '":"' .. safe(value) .. '"'
end

-- Appends the operation's one audit event to the tenant's stream.
local function audit(action, outcome, reason, extra)
  local event = ARGV[6]
    .. ',"actor":{"type":"' .. ARGV[9] .. '","id":"' .. safe(actor_id) .. '"}'
    .. ',"action":"' .. action .. '","outcome":"' .. outcome .. '"'
  if reason then event = event .. ',"reason":"' .. reason .. '"' end
  redis.call('XADD', KEYS[4], '*', 'event', event .. (extra or '') .. '}')
end

local function has_scope(scopes, scope)
  return string.find(' ' .. scopes .. ' ', ' ' .. scope .. ' ', 1, true) ~= nil
end

-- True when every scope in the space-separated `required` is in `scopes` ('*' holds all).
local function has_all(scopes, required)
  if scopes == '*' then return true end
  for scope in string.gmatch(required, '%S+') do
    if not has_scope(scopes, scope) then return false end
  end
  return true
end

-- Looks an API key up by its hash in the tenant's index.
-- Returns code ('valid' | 'not_found' | 'expired' | 'disabled'), key id, record key, {enabled, expires_at, scopes}.
local function find_api_key(index_key, key_hash)
  local id = redis.call('HGET', index_key, key_hash)
  if not id then return 'not_found' end
  local record_key = ARGV[8] .. id
  local fields = redis.call('HMGET', record_key, 'enabled', 'expires_at', 'scopes')
  if not fields[1] then return 'not_found' end
  if fields[2] and fields[2] ~= '' and tonumber(fields[2]) <= NOW then return 'expired', id, record_key, fields end
  if fields[1] ~= '1' then return 'disabled', id, record_key, fields end
  return 'valid', id, record_key, fields
end

local key_denials = { not_found = 'invalid_api_key', expired = 'api_key_expired', disabled = 'api_key_disabled' }

-- Checks the caller against the live records: tenant enabled, token not revoked, user present,
-- enabled and still in the role the token claims, or API key valid; then the required scope.
-- Returns the caller's scopes, or nil and the denial code (the denial is audited here).
local function check_caller()
  local mode = ARGV[1]
  if mode == 'none' then return '*' end
  local status = redis.call('HGET', KEYS[1], 'status')
  if not status then return nil, (mode == 'user') and 'invalid_token' or 'invalid_api_key' end
  if status ~= 'active' then return nil, 'tenant_disabled' end
  local scopes
  if mode == 'user' then
    if redis.call('EXISTS', KEYS[3]) == 1 then return nil, 'token_revoked' end
    local user = redis.call('HMGET', KEYS[2], 'role', 'disabled')
    if not user[1] then return nil, 'invalid_token' end
    if user[2] == '1' then return nil, 'user_disabled' end
    if user[1] ~= ARGV[2] then return nil, 'invalid_token' end
    scopes = ARGV[3]
  else
    local code, id, record_key, fields = find_api_key(KEYS[2], ARGV[2])
    if id then actor_id = id end
    if code ~= 'valid' then return nil, key_denials[code] end
    redis.call('HSET', record_key, 'last_used', ARGV[5])
    scopes = fields[3]
  end
  if ARGV[4] ~= '' and not has_all(scopes, ARGV[4]) then return nil, 'insufficient_scope' end
  return scopes
end

-- Runs check_caller and audits a denial as `access_denied` (but not for a tenant that is gone).
local function guard()
  local scopes, denial = check_caller()
  if denial then
    if redis.call('EXISTS', KEYS[1]) == 1 then
      audit('access_denied', 'denied', denial, member('attempted', ARGV[7]))
    end
    return nil, denial
  end
  return scopes
end

-- ---- end of prelude ----
