-- submitting -> tracking by the claim holder: AIQUM returned a Job. Releases the call slot, records the Job
-- and when it was accepted (Redis's clock), schedules its first poll in the target's due set (Redis's clock
-- plus the delay, not after the deadline), counts it as tracked in its batch and appends request.accepted
-- (the caller's event with occurredAt added). An AIQUM job's owner is recorded for the retention, so the
-- reconciliation of another request leaves it alone: JSON {requestId, sent} where `sent` ({from, to}, Redis
-- time) is when the write that AIQUM answered with the job was sent, from its claim to its answer (none for
-- a job reconciliation found); reconciliation bounds the offset of AIQUM's clock with it. A job found by
-- reconciliation marks the request `reconciled` and settles its doubt. Returns the status after the call, or
-- 'not-holder' when another claim took over.
local requestKey = KEYS[1]
local eventsKey = KEYS[2]
local dueKey = KEYS[3] -- the target's due set
local job = ARGV[1] -- JSON
local event = ARGV[2] -- request.accepted without occurredAt, JSON
local token = ARGV[3]
local leaseId = ARGV[4] -- '' when the caller holds no call slot
local firstPollDelayMs = tonumber(ARGV[5])
local deadlineAt = tonumber(ARGV[6]) -- epoch ms
local requestId = ARGV[7]
local resolved = ARGV[8] -- JSON; '' for none
local dueChannel = ARGV[9]
local target = ARGV[10]
local hasBatch = ARGV[11] == '1'
local hasOwner = ARGV[12] == '1'
local retentionSeconds = tonumber(ARGV[13])
local reconciled = ARGV[14] == '1'
-- Then the keys each present only when used, in this order: the target's call leases, the batch, the job's
-- owner.
local nextKey = 4
local inFlightKey, batchKey, ownerKey
if leaseId ~= '' then inFlightKey, nextKey = KEYS[nextKey], nextKey + 1 end
if hasBatch then batchKey, nextKey = KEYS[nextKey], nextKey + 1 end
if hasOwner then ownerKey = KEYS[nextKey] end

limiter_release(inFlightKey, leaseId)
local record = hash_fields(requestKey, {'status', 'submitter', 'submitStartedAt'})
if not record.status then return 'missing' end
if record.status ~= 'submitting' then return record.status end
if record.submitter ~= token then return 'not-holder' end
local now = redis_now_ms()
redis.call('HSET', requestKey, 'status', 'tracking', 'job', job, 'submittedAt', now)
if resolved ~= '' then redis.call('HSET', requestKey, 'resolved', resolved) end
redis.call('HDEL', requestKey, 'submitter', 'submitUntil')
if reconciled then
  redis.call('HSET', requestKey, 'reconciled', '1')
  redis.call('HDEL', requestKey, 'reconciling', 'doubtFrom', 'doubtTo', 'doubtError')
end
if ownerKey then
  local owner = {requestId = requestId}
  if not reconciled and record.submitStartedAt then
    owner.sent = {from = tonumber(record.submitStartedAt), to = now}
  end
  redis.call('SET', ownerKey, cjson.encode(owner), 'EX', retentionSeconds)
end
schedule_due(dueKey, math.min(now + firstPollDelayMs, deadlineAt), requestId, dueChannel, target)
if batchKey and redis.call('EXISTS', batchKey) == 1 then redis.call('HINCRBY', batchKey, 'tracking', 1) end
redis.call('XADD', eventsKey, '*', 'event', json_with_fields({occurredAt = iso_time(now)}, event))
return 'tracking'
