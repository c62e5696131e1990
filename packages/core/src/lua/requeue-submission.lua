-- submitting -> queued by the claim holder, after an error that proves the call never reached AIQUM;
-- releases the call slot. Returns the status after the call, or 'missing'.
local requestKey = KEYS[1]
local inFlightKey = KEYS[2] -- the target's call leases; absent when the caller holds no slot
local token = ARGV[1]
local leaseId = ARGV[2] -- '' for none

limiter_release(inFlightKey, leaseId)
local status = redis.call('HGET', requestKey, 'status')
if not status then return 'missing' end
if status == 'submitting' and redis.call('HGET', requestKey, 'submitter') == token then
  redis.call('HSET', requestKey, 'status', 'queued')
  redis.call('HDEL', requestKey, 'submitter', 'submitUntil')
  return 'queued'
end
return status
