-- list-users: one page of the tenant's users in username order.
-- KEYS[6] tenant user index (lex zset)
-- ARGV[12] cursor: last username of the previous page, '' for the first   ARGV[13] page size
-- ARGV[14] key prefix of user hashes (read inside the tenant's slot)
-- Returns {'ok', next_cursor or '', {username, role, full_name, email, disabled, created_at, updated_at}, ...} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local names, next_cursor = lex_page(KEYS[6], ARGV[12], tonumber(ARGV[13]))
local reply = { 'ok', next_cursor }
for _, name in ipairs(names) do
  reply[#reply + 1] = redis.call('HMGET', ARGV[14] .. name, 'username', 'role', 'full_name', 'email', 'disabled', 'created_at', 'updated_at')
end
audit(ARGV[7], 'success')
return reply
