-- Stores a subscription unless the hash holds the most allowed already, and raises the version counter that
-- tells readers of the list to read it again. Returns 1 when stored, 0 when at the limit.
local subscriptionsKey = KEYS[1] -- id to JSON record
local versionKey = KEYS[2]
local id = ARGV[1]
local record = ARGV[2]
local maxSubscriptions = tonumber(ARGV[3])

if redis.call('HLEN', subscriptionsKey) >= maxSubscriptions then return 0 end
redis.call('HSET', subscriptionsKey, id, record)
redis.call('INCR', versionKey)
return 1
