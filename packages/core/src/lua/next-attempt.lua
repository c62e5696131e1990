-- The attempt under way of a request with a retry policy ended with an outcome its policy retries: unless it
-- was the last one the policy allows, or the next would begin at or after the deadline, the request waits for
-- its next attempt, in one step at Redis's time: the ended attempt is appended to its attempts, the fields of
-- the attempt's submission and job are cleared, the request is queued again (no longer tracked in its
-- batch) and its target's due set holds it until the backoff is over (a poller then adds the attempt's
-- queue job). Releases the caller's call slot and, when countPoll is '1', counts the poll that saw the end.
-- Returns 'waiting'; 'last' (nothing changed: the caller completes the request); 'stale' (the request is at
-- another attempt); 'completed' or 'missing'.
local requestKey = KEYS[1]
local dueKey = KEYS[2] -- the target's due set
local attemptNumber = tonumber(ARGV[1]) -- the attempt that ended
local attempt = ARGV[2] -- it, JSON: outcome, error, job, jobResults
local createdAt = tonumber(ARGV[3]) -- epoch ms: when the first attempt began
local maxAttempts = tonumber(ARGV[4])
local delayMs = tonumber(ARGV[5])
local deadlineAt = tonumber(ARGV[6]) -- epoch ms
local leaseId = ARGV[7] -- '' when the caller holds no call slot
local countPoll = ARGV[8] == '1'
local requestId = ARGV[9]
local dueChannel = ARGV[10]
local target = ARGV[11]
local hasBatch = ARGV[12] == '1'
-- Then the keys each present only when used, in this order: the target's call leases, the batch.
local nextKey = 3
local inFlightKey, batchKey
if leaseId ~= '' then inFlightKey, nextKey = KEYS[nextKey], nextKey + 1 end
if hasBatch then batchKey = KEYS[nextKey] end

limiter_release(inFlightKey, leaseId)
local record = hash_fields(requestKey, {'status', 'attempt'})
if not record.status then return 'missing' end
if record.status == 'completed' then return 'completed' end
if tonumber(record.attempt or '1') ~= attemptNumber then return 'stale' end
local now = redis_now_ms()
local startsAt = now + delayMs
if attemptNumber >= maxAttempts or startsAt >= deadlineAt then return 'last' end
local attempts = attempts_with_ended(requestKey, attempt, createdAt, now)
if countPoll then redis.call('HINCRBY', requestKey, 'polls', 1) end
redis.call('HDEL', requestKey, 'job', 'dialect', 'jobState', 'jobResults', 'error', 'response', 'resolved',
  'submittedAt', 'submitter', 'submitUntil', 'pollErrors', 'pollFailures', 'reconciled', 'reconciling', 'doubtFrom',
  'doubtTo', 'doubtError')
redis.call('HSET', requestKey, 'status', 'queued', 'attempt', attemptNumber + 1, 'attemptStartsAt', startsAt,
  'attempts', attempts, 'submitAttempts', 0)
if record.status == 'tracking' and batchKey and redis.call('EXISTS', batchKey) == 1 then
  redis.call('HINCRBY', batchKey, 'tracking', -1)
end
schedule_due(dueKey, startsAt, requestId, dueChannel, target)
return 'waiting'
