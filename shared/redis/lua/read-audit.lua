-- read-audit: the newest events still in Redis (waiting for the offload, or refused by Loki and kept aside), then audits the read itself.
-- KEYS: the shared layout, and KEYS[6] the tenant's dead-letter stream.   ARGV[12] how many at most from each
-- Returns {'ok', event JSON, ...}: pending newest first, then dead letters newest first | {denial}.
local scopes, denial = guard()
if denial then return denial end
local reply = { 'ok' }
for _, stream in ipairs({ KEYS[4], KEYS[6] }) do
  local entries = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', ARGV[12])
  for _, entry in ipairs(entries) do
    local fields = entry[2]
    for i = 1, #fields, 2 do
      if fields[i] == 'event' then reply[#reply + 1] = fields[i + 1] end
    end
  end
end
audit(ARGV[7], 'success')
return reply
