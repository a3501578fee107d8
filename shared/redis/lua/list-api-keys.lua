-- list-api-keys: one page of the tenant's key records in id (= creation time) order (due quota refills applied).
-- KEYS[6] tenant key list (lex zset of ids)
-- ARGV[12] cursor: last id of the previous page, '' for the first   ARGV[13] page size
-- Returns {'ok', next_cursor or '', {field, value, ...}, ...} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local ids, next_cursor = lex_page(KEYS[6], ARGV[12], tonumber(ARGV[13]))
local reply = { 'ok', next_cursor }
for _, id in ipairs(ids) do
  refreshed_quota(ARGV[8] .. id)
  reply[#reply + 1] = redis.call('HGETALL', ARGV[8] .. id)
end
audit(ARGV[7], 'success')
return reply
