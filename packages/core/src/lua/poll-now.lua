-- Moves a tracked request's next poll to now (Redis's clock) and wakes the target's pollers. Nothing when the
-- request is not in the due set or is due already. Returns 1 when moved, else 0.
local dueKey = KEYS[1] -- the target's due set
local requestId = ARGV[1]
local dueChannel = ARGV[2]
local target = ARGV[3]

if redis.call('ZADD', dueKey, 'XX', 'LT', 'CH', redis_now_ms(), requestId) == 0 then return 0 end
redis.call('PUBLISH', dueChannel, target)
return 1
