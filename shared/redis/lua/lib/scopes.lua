-- lib/scopes.lua: scope lists are space separated.

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
