-- list-api-keys: one page of the tenant's key records in id (= creation time) order (due quota refills
-- applied), or of one identity's keys.
-- KEY[1] tenant key list (lex zset of ids)
-- ARG[1] cursor: last id of the previous page, '' for the first   ARG[2] page size   ARG[3] identity id, '' for all keys
-- Returns {'ok', next_cursor or '', {field, value, ...}, ...} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local index = ARG[3] ~= '' and (IDENTITY_PREFIX .. ARG[3] .. ':keys') or KEY[1]
local ids, next_cursor = lex_page(index, ARG[1], tonumber(ARG[2]))
local reply = { 'ok', next_cursor }
for _, id in ipairs(ids) do
  refreshed_quota(API_KEY_PREFIX .. id)
  reply[#reply + 1] = redis.call('HGETALL', API_KEY_PREFIX .. id)
end
audit(ACTION, 'success', nil, ARG[3] ~= '' and member('identity_id', ARG[3]) or nil)
return reply
