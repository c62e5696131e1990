-- Records a poll that got no job state, releases its call slot and schedules the next try (Redis's clock plus
-- the delay, not after the deadline). `counter` names
-- the count of such polls in a row that this one adds to: 'pollErrors' (AIQUM answered with an error) or
-- 'pollFailures' (the poll failed inside the worker). The counts live in the record so that they survive
-- restarts and are shared by workers; a recorded poll resets them. Returns JSON {status, count}.
local requestKey = KEYS[1]
local inFlightKey = KEYS[2] -- the target's call leases
local dueKey = KEYS[3] -- the target's due set
local counter = ARGV[1]
local leaseId = ARGV[2]
local delayMs = tonumber(ARGV[3])
local deadlineAt = tonumber(ARGV[4]) -- epoch ms
local requestId = ARGV[5]
local dueChannel = ARGV[6]
local target = ARGV[7]

limiter_release(inFlightKey, leaseId)
local status = redis.call('HGET', requestKey, 'status')
if status ~= 'tracking' then
  redis.call('ZREM', dueKey, requestId)
  return cjson.encode({status = status or 'missing', count = 0})
end
schedule_due(dueKey, math.min(redis_now_ms() + delayMs, deadlineAt), requestId, dueChannel, target)
return cjson.encode({status = status, count = redis.call('HINCRBY', requestKey, counter, 1)})
