-- lib/targets.lua: the authorization policy's target rules (shared/auth/policy.ts). Nobody gains a
-- scope by acting on a target: creating, changing, rotating or deleting an API key or a user needs
-- every built-in scope the target holds, in each state the route's policy names (the one it has,
-- the one it gets). Custom scopes are the tenant's own and free.

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
