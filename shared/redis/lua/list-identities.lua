-- list-identities: one page of the tenant's identities in id (= creation time) order, or the one
-- with a given external id.
-- KEY[1] tenant identity index (lex zset of ids)   KEY[2] tenant external_id → id index
-- ARG[1] cursor: last id of the previous page, '' for the first   ARG[2] page size   ARG[3] external id, '' for all
-- Returns {'ok', next_cursor or '', {key count, field, value, ...}, ...} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local ids, next_cursor
if ARG[3] ~= '' then
  local id = redis.call('HGET', KEY[2], ARG[3])
  ids, next_cursor = { id }, ''
  if not id then ids = {} end
else
  ids, next_cursor = lex_page(KEY[1], ARG[1], tonumber(ARG[2]))
end
local reply = { 'ok', next_cursor }
for _, id in ipairs(ids) do
  local record = IDENTITY_PREFIX .. id
  local row = { redis.call('ZCARD', record .. ':keys') }
  for _, part in ipairs(redis.call('HGETALL', record)) do row[#row + 1] = part end
  reply[#reply + 1] = row
end
audit(ACTION, 'success')
return reply
