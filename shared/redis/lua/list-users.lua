-- list-users: one page of the tenant's users in username order.
-- KEY[1] tenant user index (lex zset)
-- ARG[1] cursor: last username of the previous page, '' for the first   ARG[2] page size
-- ARG[3] key prefix of user hashes (read inside the tenant's slot)
-- Returns {'ok', next_cursor or '', {username, role, full_name, email, disabled, created_at, updated_at}, ...} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local names, next_cursor = lex_page(KEY[1], ARG[1], tonumber(ARG[2]))
local reply = { 'ok', next_cursor }
for _, name in ipairs(names) do
  reply[#reply + 1] = redis.call('HMGET', ARG[3] .. name, 'username', 'role', 'full_name', 'email', 'disabled', 'created_at', 'updated_at')
end
audit(ACTION, 'success')
return reply
