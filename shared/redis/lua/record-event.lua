-- record-event: checks the caller and appends one audit event; no other effect.
-- Used for outcomes decided outside Redis (logins, validation failures, malformed keys).
-- KEYS: the frame only.
-- ARG[1] outcome: success | failure | denied    ARG[2] reason, '' for none
-- Returns {'ok'} or {denial code}.
local scopes, denial = guard()
if denial then return denial end
local reason = ARG[2] ~= '' and ARG[2] or nil
audit(ACTION, ARG[1], reason)
return { 'ok' }
