-- Records one poll of a tracked Job, releases its call slot and schedules the next poll (Redis's clock plus
-- the delay, not after the deadline).
-- Returns JSON {status, polls}.
local requestKey = KEYS[1]
local inFlightKey = KEYS[2] -- the target's call leases
local dueKey = KEYS[3] -- the target's due set
local jobState = ARGV[1] -- JSON
local dialect = ARGV[2]
local leaseId = ARGV[3]
local delayMs = tonumber(ARGV[4])
local deadlineAt = tonumber(ARGV[5]) -- epoch ms
local requestId = ARGV[6]
local dueChannel = ARGV[7]
local target = ARGV[8]

limiter_release(inFlightKey, leaseId)
local status = redis.call('HGET', requestKey, 'status')
if status ~= 'tracking' then
  redis.call('ZREM', dueKey, requestId)
  if not status then return cjson.encode({status = 'missing', polls = 0}) end
  return cjson.encode({status = status, polls = tonumber(redis.call('HGET', requestKey, 'polls') or '0')})
end
-- Counted first: a count that fails (an unreadable field) leaves the record as it was.
local polls = redis.call('HINCRBY', requestKey, 'polls', 1)
redis.call('HSET', requestKey, 'jobState', jobState, 'dialect', dialect)
-- No field means no errors: a tracked record holds fewer fields most of its life.
redis.call('HDEL', requestKey, 'pollErrors', 'pollFailures')
schedule_due(dueKey, math.min(redis_now_ms() + delayMs, deadlineAt), requestId, dueChannel, target)
return cjson.encode({status = status, polls = polls})
