-- delete-item: deletes an item and its index entries.
-- KEY[1] item hash   KEY[2] tenant data index   KEY[3] tenant expiry index
-- ARG[1] key
-- Returns {'ok'} | {'not_found'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local expiry_member = redis.call('HGET', KEY[1], 'expiry_member')
if redis.call('DEL', KEY[1]) == 0 then
  audit(ACTION, 'failure', 'not_found')
  return { 'not_found' }
end
redis.call('ZREM', KEY[2], ARG[1])
if expiry_member then redis.call('ZREM', KEY[3], expiry_member) end
audit(ACTION, 'success')
return { 'ok' }
