-- read-audit: the newest events still waiting in the tenant's audit stream, then audits the read itself.
-- KEYS: the shared layout.   ARGV[12] how many at most
-- Returns {'ok', event JSON, ...} newest first | {denial}.
local scopes, denial = guard()
if denial then return denial end
local entries = redis.call('XREVRANGE', KEYS[4], '+', '-', 'COUNT', ARGV[12])
local reply = { 'ok' }
for _, entry in ipairs(entries) do
  local fields = entry[2]
  for i = 1, #fields, 2 do
    if fields[i] == 'event' then reply[#reply + 1] = fields[i + 1] end
  end
end
audit(ARGV[7], 'success')
return reply
