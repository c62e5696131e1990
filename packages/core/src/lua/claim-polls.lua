-- Claims the due polls of one target, as many as its limits allow: each gets a call slot (lease id: the
-- prefix and the claim's index) and is re-scored to now + claimMs, so that a worker that dies with it makes
-- it due again. The records are read here too (same hash slot as the declared keys: the prefix is a hash
-- tag), so a poll needs no command of its own before its call.
-- Returns JSON {now (Redis's clock, ms), ms, claims}: with claims, ms is 0 and each claim is {requestId,
-- leaseId, record (its fields that are set)}; without, ms is the time until the next due poll or a free slot
-- (-1: none is tracked).
local dueKey = KEYS[1] -- the target's due set
local inFlightKey = KEYS[2] -- the target's call leases
local recentKey = KEYS[3] -- the target's recent calls
local maxClaims = tonumber(ARGV[1])
local claimMs = tonumber(ARGV[2])
local leaseMs = tonumber(ARGV[3])
local maxConcurrent = tonumber(ARGV[4])
local callsPerWindow = tonumber(ARGV[5])
local windowMs = tonumber(ARGV[6])
local leaseIdPrefix = ARGV[7]
local requestKeyPrefix = ARGV[8]

local now = redis_now_ms()
local due = redis.call('ZRANGEBYSCORE', dueKey, '-inf', now, 'LIMIT', 0, maxClaims)
if #due == 0 then
  local nextDue = redis.call('ZRANGE', dueKey, 0, 0, 'WITHSCORES')
  if #nextDue == 0 then return cjson.encode({now = now, ms = -1}) end
  return cjson.encode({now = now, ms = math.max(1, tonumber(nextDue[2]) - now)})
end
local free, waitMs = limiter_free(inFlightKey, recentKey, maxConcurrent, callsPerWindow, windowMs, now)
if free == 0 then return cjson.encode({now = now, ms = waitMs}) end
local leaseIds, rescored, claims = {}, {}, {}
for index = 1, math.min(#due, free) do
  local requestId = due[index]
  leaseIds[index] = leaseIdPrefix .. ':' .. index
  table.insert(rescored, now + claimMs)
  table.insert(rescored, requestId)
  local record = hash_fields(requestKeyPrefix .. requestId,
    {'status', 'spec', 'job', 'dialect', 'jobState', 'submittedAt', 'resolved', 'polls', 'pollErrors', 'attempt'})
  claims[index] = {requestId = requestId, leaseId = leaseIds[index], record = record}
end
redis.call('ZADD', dueKey, unpack(rescored))
limiter_take(inFlightKey, recentKey, leaseIds, leaseMs, windowMs, now)
return cjson.encode({now = now, ms = 0, claims = claims})
