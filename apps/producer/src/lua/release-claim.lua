-- Deletes a key if it still holds this value. Returns how many keys were deleted.
local key = KEYS[1]
local value = ARGV[1]

if redis.call('GET', key) == value then return redis.call('DEL', key) end
return 0
