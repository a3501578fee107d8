-- read-usage: usage buckets of a key, an identity or the whole tenant, oldest first, empty ones left out.
-- KEYS: the frame only (buckets are read by name inside the tenant's slot, from USAGE_PREFIX).
-- ARG[1] owner: 't' | 'k:<key id>' | 'i:<identity id>'   ARG[2] granularity: 'h' | 'd'
-- ARG[3] first bucket start, ms   ARG[4] last bucket start, ms   ARG[5] bucket size, ms
-- Returns {'ok', start, {field, value, ...}, start, {...}, ...} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local reply = { 'ok' }
local prefix = USAGE_PREFIX .. ARG[1] .. ':' .. ARG[2] .. ':'
for start = tonumber(ARG[3]), tonumber(ARG[4]), tonumber(ARG[5]) do
  local bucket = redis.call('HGETALL', prefix .. start)
  if #bucket > 0 then
    reply[#reply + 1] = start
    reply[#reply + 1] = bucket
  end
end
audit(ACTION, 'success')
return reply
