-- submitting -> queued, reconciling: a write that may have reached AIQUM without an answer. Either by the
-- claim holder whose call failed that way (`token`), or by anyone for a claim whose worker died mid-call
-- (token '': the claim's lease must have expired). Records the time in doubt (from the claim to the answer,
-- or to the claim's expiry when there was none) and what made it doubtful, keeps the write among its
-- target's writes in doubt until then, and releases the caller's call slot. The reconciliation itself is
-- the request's queue job's (begin-submission claims it again without counting a submit attempt).
-- Returns JSON {status (after the call; 'not-holder' or 'busy' when it is not the caller's), from, to, now}.
local requestKey = KEYS[1]
local doubtKey = KEYS[2] -- the target's writes in doubt
local inFlightKey = KEYS[3] -- the target's call leases; absent when the caller holds no slot
local token = ARGV[1] -- '' for an expired claim
local leaseId = ARGV[2] -- '' for none
local requestId = ARGV[3]
local doubtError = ARGV[4] -- the client's error, JSON; '' when no answer was seen at all
-- Whether AIQUM answered (a status, even a spoiled one): it had done with the write by then. A call cut
-- without an answer (a reset, a timeout, a shutdown) may still be processed later, until its claim's lease ends.
local answered = ARGV[5] == '1'

limiter_release(inFlightKey, leaseId)
local now = redis_now_ms()
local record = hash_fields(requestKey, {'status', 'submitter', 'submitUntil', 'submitStartedAt'})
local function reply(status, from, to)
  return cjson.encode({status = status, from = from, to = to, now = now})
end
if not record.status then return reply('missing') end
if record.status ~= 'submitting' then return reply(record.status) end
local claimUntil = tonumber(record.submitUntil or '0')
local to = now
if token ~= '' then
  if record.submitter ~= token then return reply('not-holder') end
  if not answered then to = math.max(now, claimUntil) end
else
  if claimUntil > now then return reply('busy') end
  to = claimUntil
end
local from = tonumber(record.submitStartedAt or '0')
redis.call('HSET', requestKey, 'status', 'queued', 'reconciling', '1', 'doubtFrom', from, 'doubtTo', to)
if doubtError ~= '' then redis.call('HSET', requestKey, 'doubtError', doubtError)
else redis.call('HDEL', requestKey, 'doubtError') end
redis.call('HDEL', requestKey, 'submitter', 'submitUntil')
redis.call('ZADD', doubtKey, 'GT', to, requestId)
return reply('queued', from, to)
