-- read-audit: the newest events still in Redis (waiting for the offload, or refused by Loki and kept aside), then audits the read itself.
-- KEYS: the frame, and KEY[1] the tenant's dead-letter stream.   ARG[1] how many at most from each
-- Returns {'ok', event JSON, ...}: pending newest first, then dead letters newest first | {denial}.
local scopes, denial = guard()
if denial then return denial end
local reply = { 'ok' }
for _, stream in ipairs({ AUDIT_KEY, KEY[1] }) do
  local entries = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', ARG[1])
  for _, entry in ipairs(entries) do
    local fields = entry[2]
    for i = 1, #fields, 2 do
      if fields[i] == 'event' then reply[#reply + 1] = fields[i + 1] end
    end
  end
end
audit(ACTION, 'success')
return reply
