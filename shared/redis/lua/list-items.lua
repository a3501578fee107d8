-- list-items: one page of the tenant's live keys in lexical order, from the index (never SCAN).
-- KEY[1] tenant data index (lex zset)
-- ARG[1] prefix, '' for all   ARG[2] cursor: the last key of the previous page, '' for the first
-- ARG[3] page size   ARG[4] key prefix of item hashes (read inside the tenant's slot)
-- Returns {'ok', next_cursor or '', key1, key2, ...} | {denial}.
-- Expired items whose index entry is not yet reaped are skipped; at most 4 * size + 100 entries are examined per call.
local scopes, denial = guard()
if denial then return denial end
local prefix, limit = ARG[1], tonumber(ARG[3])
local min = '[' .. prefix
if ARG[2] ~= '' and ARG[2] >= prefix then min = '(' .. ARG[2] end
local max = prefix == '' and '+' or ('[' .. prefix .. '\255')
local keys, examined, budget, last = {}, 0, limit * 4 + 100, nil
while #keys < limit and examined < budget do
  local batch = redis.call('ZRANGEBYLEX', KEY[1], min, max, 'LIMIT', 0, math.min(limit - #keys + 10, budget - examined))
  if #batch == 0 then last = nil; break end
  for _, key in ipairs(batch) do
    examined = examined + 1
    last = key
    if redis.call('EXISTS', ARG[4] .. key) == 1 then
      keys[#keys + 1] = key
      if #keys == limit then break end
    end
  end
  min = '(' .. last
end
local next_cursor = ''
if last and #redis.call('ZRANGEBYLEX', KEY[1], '(' .. last, max, 'LIMIT', 0, 1) > 0 then next_cursor = last end
audit(ACTION, 'success')
local reply = { 'ok', next_cursor }
for _, key in ipairs(keys) do reply[#reply + 1] = key end
return reply
