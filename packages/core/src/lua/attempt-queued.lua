-- The queue job of a request's next attempt was added (by a poller that claimed the request when its backoff
-- was over): the request leaves its target's due set, unless it moved on meanwhile (its attempt is tracked,
-- which keeps its place there for its polls, or a later attempt waits there). Releases the claim's call slot.
-- Returns the request's status, or 'missing'.
local requestKey = KEYS[1]
local inFlightKey = KEYS[2] -- the target's call leases
local dueKey = KEYS[3] -- the target's due set
local attemptNumber = ARGV[1] -- the attempt whose queue job was added
local leaseId = ARGV[2]
local requestId = ARGV[3]

limiter_release(inFlightKey, leaseId)
local record = hash_fields(requestKey, {'status', 'attempt'})
if not record.status then
  redis.call('ZREM', dueKey, requestId)
  return 'missing'
end
if record.status ~= 'tracking' and record.attempt == attemptNumber then redis.call('ZREM', dueKey, requestId) end
return record.status
