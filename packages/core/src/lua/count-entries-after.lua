-- Counts a stream's entries after an id, at most `limit`.
local streamKey = KEYS[1]
local afterId = ARGV[1]
local limit = tonumber(ARGV[2])

local cursor = '(' .. afterId
local count = 0
while count < limit do
  local page = redis.call('XRANGE', streamKey, cursor, '+', 'COUNT', math.min(500, limit - count))
  if #page == 0 then break end
  count = count + #page
  cursor = '(' .. page[#page][1]
end
return count
