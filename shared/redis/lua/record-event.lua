-- record-event: checks the caller and appends one audit event; no other effect.
-- Used for outcomes decided outside Redis (logins, validation failures, malformed keys).
-- KEYS: the shared layout only (see prelude.lua).
-- ARGV[12] outcome: success | failure | denied    ARGV[13] reason, '' for none
-- Returns {'ok'} or {denial code}.
local scopes, denial = guard()
if denial then return denial end
local reason = ARGV[13] ~= '' and ARGV[13] or nil
audit(ARGV[7], ARGV[12], reason)
return { 'ok' }
