-- list-api-keys: one page of the tenant's key records in id (= creation time) order (due quota refills applied).
-- KEY[1] tenant key list (lex zset of ids)
-- ARG[1] cursor: last id of the previous page, '' for the first   ARG[2] page size
-- Returns {'ok', next_cursor or '', {field, value, ...}, ...} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local ids, next_cursor = lex_page(KEY[1], ARG[1], tonumber(ARG[2]))
local reply = { 'ok', next_cursor }
for _, id in ipairs(ids) do
  refreshed_quota(API_KEY_PREFIX .. id)
  reply[#reply + 1] = redis.call('HGETALL', API_KEY_PREFIX .. id)
end
audit(ACTION, 'success')
return reply
