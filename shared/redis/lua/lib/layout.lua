-- lib/layout.lua: the first part of the prelude that shared/redis/scripts.ts puts before every
-- tenant script (lib/layout, lib/audit, lib/scopes, lib/paging, lib/calendar, lib/api-keys,
-- lib/guard, in that order); the script's own body becomes `main()`, and the script returns `finish(main())`.
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
