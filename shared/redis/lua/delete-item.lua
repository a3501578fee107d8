-- delete-item: deletes an item and its index entries.
-- KEYS[5] item hash   KEYS[6] tenant data index   KEYS[7] tenant expiry index
-- ARGV[11] key
-- Returns {'ok'} | {'not_found'} | {denial}.
local scopes, denial = guard()
if denial then return { denial } end
local expiry_member = redis.call('HGET', KEYS[5], 'expiry_member')
if redis.call('DEL', KEYS[5]) == 0 then
  audit(ARGV[7], 'failure', 'not_found')
  return { 'not_found' }
end
redis.call('ZREM', KEYS[6], ARGV[11])
if expiry_member then redis.call('ZREM', KEYS[7], expiry_member) end
audit(ARGV[7], 'success')
return { 'ok' }
