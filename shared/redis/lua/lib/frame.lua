-- lib/frame.lua: what the frame's values mean while a script runs (the frame itself, its KEYS and
-- ARGV by name, is declared just above from shared/redis/script-frame.ts). shared/redis/scripts.ts
-- puts the prelude (the frame, then lib/frame, lib/audit, lib/scopes, lib/calendar, lib/api-keys,
-- lib/guard, in that order) before every tenant script, then the optional parts a script uses
-- (lib/paging; lib/targets with the scope vocabulary); the script's own body becomes `main()`, and
-- the script returns `finish(main())`.
-- Replies: a table whose first element is 'ok' or an error code from shared/errors/codes.ts.

local NOW_MS = tonumber(NOW)
-- The audit actor's id; the guard replaces an API key's start with the key's id once it has found it.
local actor_id = ACTOR_ID
local MARKED = MARKER_MS ~= ''

-- A retried write whose first attempt was applied: answer as it did, apply nothing again.
if MARKED then
  local stored = redis.call('GET', MARKER_KEY)
  if stored then return cjson.decode(stored) end
end

-- Records an applied write's reply under its operation marker (MARKER_KEY), then returns it.
-- A refusal is not recorded: trying it again changes nothing.
local function finish(reply)
  if MARKED and reply[1] == 'ok' then redis.call('SET', MARKER_KEY, cjson.encode(reply), 'PX', MARKER_MS) end
  return reply
end
