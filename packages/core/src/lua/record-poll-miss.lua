-- Records a poll that got no job state, releases its call slot and schedules the next try. `counter` names
-- the count of such polls in a row that this one adds to: 'pollErrors' (AIQUM answered with an error) or
-- 'pollFailures' (the poll failed inside the worker). The counts live in the record so that they survive
-- restarts and are shared by workers; a recorded poll resets them. Returns JSON {status, count}.
local requestKey = KEYS[1]
local inFlightKey = KEYS[2] -- the target's call leases
local dueKey = KEYS[3] -- the target's due set
local counter = ARGV[1]
local leaseId = ARGV[2]
local nextTryAt = tonumber(ARGV[3])
local requestId = ARGV[4]
local dueChannel = ARGV[5]
local target = ARGV[6]

limiter_release(inFlightKey, leaseId)
local status = redis.call('HGET', requestKey, 'status')
if status ~= 'tracking' then
  redis.call('ZREM', dueKey, requestId)
  return cjson.encode({status = status or 'missing', count = 0})
end
schedule_due(dueKey, nextTryAt, requestId, dueChannel, target)
return cjson.encode({status = status, count = redis.call('HINCRBY', requestKey, counter, 1)})
