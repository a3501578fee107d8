-- read-audit-batch: up to a count of a tenant's audit events through the offload's consumer group:
-- first those delivered before and never acknowledged (a crashed or stopped run's), after a given id;
-- once none is left, new ones. One round trip for what took up to four (read, create group, read, read).
-- Creates the group (from the stream's start) on first use; a missing stream is not created.
-- KEYS[1] tenant audit stream
-- ARGV[1] consumer group   ARGV[2] consumer   ARGV[3] count
-- ARGV[4] the id after which to read delivered entries, or '>' to read new ones only
-- Returns false when the stream does not exist; else {source, entries}: source 'pending' or 'new',
-- entries as XREADGROUP gives them ({id, {field, value, ...}}; the fields are false for an entry
-- deleted while pending).
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local function read(from)
  local reply = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], from)
  return reply and reply[1] and reply[1][2] or {}
end
if ARGV[4] ~= '>' then
  -- BUSYGROUP (it exists) is the usual answer.
  redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0')
  local pending = read(ARGV[4])
  if #pending > 0 then return { 'pending', pending } end
end
return { 'new', read('>') }
