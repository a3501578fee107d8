-- read-audit-batch: up to a count of a tenant's audit events through the offload's consumer group:
-- first those delivered before and never acknowledged (a crashed or stopped run's), after a given id;
-- once none is left, new ones. One round trip for what took up to four (read, create group, read, read).
-- Creates the group (from the stream's start) on first use; a missing stream is not created.
-- With a lease token, it first renews the run's lease (as renew-lease does), reading nothing if the
-- lease is lost: the batch's first push needs no renewal of its own.
-- KEYS[1] tenant audit stream   KEYS[2] tenant lease
-- ARGV[1] consumer group   ARGV[2] consumer   ARGV[3] count
-- ARGV[4] the id after which to read delivered entries, or '>' to read new ones only
-- ARGV[5] the run's lease token, '' to read without a lease   ARGV[6] lease length, ms
-- Returns {'lease_lost'} when the lease is not the caller's; false when the stream does not exist;
-- else {source, entries}: source 'pending' or 'new', entries as XREADGROUP gives them
-- ({id, {field, value, ...}}; the fields are false for an entry deleted while pending).
if ARGV[5] ~= '' then
  if redis.call('GET', KEYS[2]) ~= ARGV[5] then return { 'lease_lost' } end
  redis.call('PEXPIRE', KEYS[2], ARGV[6])
end
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
