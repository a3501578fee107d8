-- read-usage: usage buckets of a key, an identity or the whole tenant, oldest first, empty ones left out
-- (the layout is lib/usage.lua's: the buckets of one hash are its fields `<index>:<CODE>`, `<index>:credits`).
-- KEYS: the frame only (buckets are read by name inside the tenant's slot, from USAGE_PREFIX).
-- ARG[1] owner: 't' | 'k:<key id>' | 'i:<identity id>'   ARG[2] granularity: 'h' | 'd'
-- ARG[3] first bucket start, ms   ARG[4] last bucket start, ms
-- Returns {'ok', start, {field, value, ...}, start, {...}, ...} (fields: the codes, and extra) | {denial}.
local scopes, denial = guard()
if denial then return denial end
local size, per = nil, nil
for _, group in ipairs(USAGE_GROUPS) do
  if group[1] == ARG[2] then size, per = group[2], group[3] end
end
local first, last = tonumber(ARG[3]), tonumber(ARG[4])
local span = size * per
local buckets, starts = {}, {}
for hash_start = first - first % span, last, span do
  local fields = redis.call('HGETALL', USAGE_PREFIX .. ARG[1] .. ':' .. ARG[2] .. ':' .. hash_start)
  for i = 1, #fields, 2 do
    local index, name = string.match(fields[i], '^(%d+):(.+)$')
    local start = hash_start + tonumber(index) * size
    if start >= first and start <= last then
      if not buckets[start] then
        buckets[start] = {}
        starts[#starts + 1] = start
      end
      local bucket = buckets[start]
      bucket[#bucket + 1] = name
      bucket[#bucket + 1] = fields[i + 1]
    end
  end
end
table.sort(starts)
local reply = { 'ok' }
for _, start in ipairs(starts) do
  reply[#reply + 1] = start
  reply[#reply + 1] = buckets[start]
end
audit(ACTION, 'success')
return reply
