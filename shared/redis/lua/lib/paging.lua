-- lib/paging.lua: pages of a lexically ordered index (a sorted set whose members all score 0).

-- One page: up to `limit` members after `cursor` ('' for the first page), and the cursor of the
-- next page ('' when this one is the last).
local function lex_page(index_key, cursor, limit)
  local min = cursor ~= '' and ('(' .. cursor) or '-'
  local members = redis.call('ZRANGEBYLEX', index_key, min, '+', 'LIMIT', 0, limit + 1)
  if #members <= limit then return members, '' end
  members[limit + 1] = nil
  return members, members[limit]
end
