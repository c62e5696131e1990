-- submitting -> queued by the claim holder, releasing the call slot. `doubt` says what the call left behind:
-- - '': it provably never reached AIQUM;
-- - 'record': it may have reached AIQUM unanswered, and the request resends such writes (retryAmbiguous):
--   the time in doubt grows to now, and the write stays among its target's writes in doubt;
-- - 'keep': a reconciliation that must look again later (the doubt it reconciles stays);
-- - 'settle': reconciliation proved the write never reached AIQUM: the doubt is gone, it is sent again.
-- Returns the status after the call, or 'missing'.
local requestKey = KEYS[1]
local doubtKey = KEYS[2] -- the target's writes in doubt
local inFlightKey = KEYS[3] -- the target's call leases; absent when the caller holds no slot
local token = ARGV[1]
local leaseId = ARGV[2] -- '' for none
local doubt = ARGV[3]
local requestId = ARGV[4]

limiter_release(inFlightKey, leaseId)
local record = hash_fields(requestKey, {'status', 'submitter', 'submitStartedAt', 'doubtFrom'})
if not record.status then return 'missing' end
if record.status ~= 'submitting' or record.submitter ~= token then return record.status end
redis.call('HSET', requestKey, 'status', 'queued')
redis.call('HDEL', requestKey, 'submitter', 'submitUntil')
if doubt == 'record' then
  local now = redis_now_ms()
  redis.call('HSET', requestKey, 'doubtFrom', record.doubtFrom or record.submitStartedAt or now, 'doubtTo', now)
  redis.call('ZADD', doubtKey, 'GT', now, requestId)
elseif doubt == 'settle' then
  redis.call('HDEL', requestKey, 'reconciling', 'doubtFrom', 'doubtTo', 'doubtError')
end
return 'queued'
