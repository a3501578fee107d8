-- lib/audit.lua: the audit event of an operation, appended in the same script as the operation.

-- Strips what could break the JSON string it is put in (ids and codes never contain these).
local function safe(text)
  text = tostring(text)
  -- Looking costs less than rewriting: the usual id or code holds none of them.
  if not string.find(text, '[%c"\\]') then return text end
  return (string.gsub(text, '[%c"\\]', ''))
end

-- A JSON string member to pass as `extra` to audit().
local function member(name, value)
  return ',"' .. name .. '":"' .. safe(value) .. '"'
end

-- Appends the operation's one audit event to the tenant's stream, and marks the tenant as having
-- events to ship (score 0 in the offload's pending-tenants set) in the same script, so the mark is
-- never missing while the stream holds an event.
local function audit(action, outcome, reason, extra)
  local event = EVENT_HEAD
    .. ',"actor":{"type":"' .. ACTOR_TYPE .. '","id":"' .. safe(actor_id) .. '"}'
    .. ',"action":"' .. action .. '","outcome":"' .. outcome .. '"'
  if reason then event = event .. ',"reason":"' .. reason .. '"' end
  redis.call('XADD', AUDIT_KEY, '*', 'event', event .. (extra or '') .. '}')
  redis.call('ZADD', PENDING_KEY, 0, TENANT_ID)
end
