-- delete-item: deletes an item and its index entries.
-- KEYS[6] item hash   KEYS[7] tenant data index   KEYS[8] tenant expiry index
-- ARGV[12] key
-- Returns {'ok'} | {'not_found'} | {denial}.
local scopes, denial = guard()
if denial then return denial end
local expiry_member = redis.call('HGET', KEYS[6], 'expiry_member')
if redis.call('DEL', KEYS[6]) == 0 then
  audit(ARGV[7], 'failure', 'not_found')
  return { 'not_found' }
end
redis.call('ZREM', KEYS[7], ARGV[12])
if expiry_member then redis.call('ZREM', KEYS[8], expiry_member) end
audit(ARGV[7], 'success')
return { 'ok' }
