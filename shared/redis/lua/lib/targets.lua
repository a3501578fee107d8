-- lib/targets.lua: the authorization policy's target rules (shared/auth/policy.ts). Nobody gains a
-- scope by acting on a target: creating, changing, rotating or deleting an API key, a user or an
-- identity needs every built-in scope the target holds, in each state the route's policy names (the
-- one it has, the one it gets). Custom scopes are the tenant's own and free.

-- The built-in scopes among a space-separated list.
local function built_in(scopes)
  local held = {}
  for scope in string.gmatch(scopes or '', '%S+') do
    if BUILT_IN_SCOPES[scope] then held[#held + 1] = scope end
  end
  return table.concat(held, ' ')
end

-- True when a caller holding `caller_scopes` may touch an API key that holds `key_scopes`.
local function may_touch_key(caller_scopes, key_scopes)
  return has_all(caller_scopes, built_in(key_scopes))
end

-- True when a caller holding `caller_scopes` may touch a user of `role` (an unknown role: every scope).
local function may_touch_user(caller_scopes, role)
  local required = ROLE_SCOPES_OF[role]
  if not required then
    local all = {}
    for scope in pairs(BUILT_IN_SCOPES) do all[#all + 1] = scope end
    required = table.concat(all, ' ')
  end
  return has_all(caller_scopes, required)
end

-- Identities: an identity's keys (`<identity record>:keys`, a lex zset of key ids) and the built-in
-- scopes they hold between them (counted on the identity, `scope:<name>` fields, as keys link and
-- unlink), for the identity rule: changing an identity, or which keys share its limits and credits,
-- needs every built-in scope its keys hold.

-- The built-in scopes an identity's keys hold between them, space separated.
local function identity_scopes(identity_key)
  local names, fields = {}, {}
  for scope in pairs(BUILT_IN_SCOPES) do
    names[#names + 1] = scope
    fields[#fields + 1] = 'scope:' .. scope
  end
  local counts = redis.call('HMGET', identity_key, unpack(fields))
  local held = {}
  for i, name in ipairs(names) do
    if tonumber(counts[i] or '0') > 0 then held[#held + 1] = name end
  end
  return table.concat(held, ' ')
end

-- True when a caller holding `caller_scopes` may touch the identity (change it, or the keys it shares with).
local function may_touch_identity(caller_scopes, identity_key)
  return has_all(caller_scopes, identity_scopes(identity_key))
end

-- Links a key holding `key_scopes` to an identity (delta 1) or unlinks it (delta -1).
local function link_key(identity_key, key_id, key_scopes, delta)
  if delta > 0 then
    redis.call('ZADD', identity_key .. ':keys', 0, key_id)
  else
    redis.call('ZREM', identity_key .. ':keys', key_id)
  end
  for scope in string.gmatch(built_in(key_scopes), '%S+') do redis.call('HINCRBY', identity_key, 'scope:' .. scope, delta) end
end
