-- Any status -> completed, exactly once, at Redis's time. Releases the caller's call slot, writes the outcome
-- (counting the poll that saw the end, when countPoll is '1'), appends request.completed (the caller's event
-- with the record's poll count, the times and `reconciled` added), counts the outcome in its batch, and for
-- the last request of a batch appends batch.completed. Sets the retention expiry and takes the request out of its
-- target's due set.
-- Then it settles the request's dependants (waiting requests of its batch): on success (or warning, for a
-- dependant that proceeds on warning) each counts one dependency less, and one that waits on none any more
-- becomes `queued`; on any other outcome each is marked to be skipped (`skipBecause`, the first such
-- dependency). Either way it is added to the released set, whose entries the caller queues or skips (each
-- skip is a completion of its own, through this script: bounded steps, never a whole batch in one call).
-- For a request with a retry policy, it appends the last attempt to its attempts and puts them in
-- request.completed.
-- Returns {'completed' | 'already-completed' | 'missing', released request ids...}.
local requestKey = KEYS[1]
local eventsKey = KEYS[2]
local dueKey = KEYS[3] -- the target's due set
local outcome = ARGV[1]
local fields = cjson.decode(ARGV[2]) -- the record's fields to set: name -> string
local event = ARGV[3] -- request.completed without its poll count, occurredAt and finishedAt, JSON
local retentionSeconds = tonumber(ARGV[4])
local leaseId = ARGV[5] -- '' when the caller holds no call slot
local countPoll = ARGV[6] == '1'
local requestId = ARGV[7]
local batchEvent = ARGV[8] -- batch.completed's fields known in advance, JSON; '' without a batch
local outcomes = cjson.decode(ARGV[9]) -- every outcome, counted in batch.completed
local requestKeyPrefix = ARGV[10] -- dependants' records are read through it (same hash slot: a hash tag)
local attempt = ARGV[11] -- the ending attempt (outcome, error, job, jobResults), JSON; '' without a retry policy
local createdAt = tonumber(ARGV[12]) -- epoch ms: when the first attempt began
-- Then the keys each present only when used, in this order: the target's call leases, the batch, its
-- request list, the request's dependants list and the released set.
local nextKey = 4
local inFlightKey, batchKey, batchRequestsKey, dependantsKey, releasedKey
if leaseId ~= '' then inFlightKey, nextKey = KEYS[nextKey], nextKey + 1 end
if batchEvent ~= '' then
  batchKey, batchRequestsKey, dependantsKey, releasedKey =
    KEYS[nextKey], KEYS[nextKey + 1], KEYS[nextKey + 2], KEYS[nextKey + 3]
end

limiter_release(inFlightKey, leaseId)
redis.call('ZREM', dueKey, requestId)
local status = redis.call('HGET', requestKey, 'status')
if not status then return {'missing'} end
if status == 'completed' then return {'already-completed'} end
local nowMs = redis_now_ms()
local nowIso = iso_time(nowMs)
local update = {'status', 'completed', 'outcome', outcome, 'finishedAt', nowMs}
for name, value in pairs(fields) do
  table.insert(update, name)
  table.insert(update, value)
end
local attempts = attempt ~= '' and attempts_with_ended(requestKey, attempt, createdAt, nowMs)
if attempts then
  table.insert(update, 'attempts')
  table.insert(update, attempts)
end
redis.call('HSET', requestKey, unpack(update))
local polls
if countPoll then polls = redis.call('HINCRBY', requestKey, 'polls', 1)
else polls = tonumber(redis.call('HGET', requestKey, 'polls') or '0') end
redis.call('EXPIRE', requestKey, retentionSeconds)
local added = {polls = polls, occurredAt = nowIso, finishedAt = nowIso}
-- A job found by reconciliation says so in the event, whoever ends the request.
if redis.call('HGET', requestKey, 'reconciled') == '1' then added.reconciled = true end
local completedEvent = json_with_fields(added, event)
if attempts then completedEvent = json_with_raw_field('attempts', attempts, completedEvent) end
redis.call('XADD', eventsKey, '*', 'event', completedEvent)
local reply = {'completed'}
local total = batchKey and redis.call('HGET', batchKey, 'total')
if not total then return reply end
if status == 'tracking' then redis.call('HINCRBY', batchKey, 'tracking', -1) end
if status == 'waiting' then redis.call('HINCRBY', batchKey, 'waiting', -1) end
local dependants = redis.call('LRANGE', dependantsKey, 0, -1)
for _, dependantId in ipairs(dependants) do
  local dependantKey = requestKeyPrefix .. dependantId
  local dependant = hash_fields(dependantKey, {'status', 'proceedOnWarning', 'skipBecause'})
  if dependant.status == 'waiting' and not dependant.skipBecause then
    if outcome == 'succeeded' or (outcome == 'warning' and dependant.proceedOnWarning == '1') then
      if redis.call('HINCRBY', dependantKey, 'waitingOn', -1) <= 0 then
        redis.call('HSET', dependantKey, 'status', 'queued')
        redis.call('HINCRBY', batchKey, 'waiting', -1)
        redis.call('ZADD', releasedKey, nowMs, dependantId)
        table.insert(reply, dependantId)
      end
    else
      redis.call('HSET', dependantKey, 'skipBecause', cjson.encode({requestId = requestId, outcome = outcome}))
      redis.call('ZADD', releasedKey, nowMs, dependantId)
      table.insert(reply, dependantId)
    end
  end
end
redis.call('DEL', dependantsKey)
redis.call('HINCRBY', batchKey, 'count:' .. outcome, 1)
if redis.call('HINCRBY', batchKey, 'done', 1) ~= tonumber(total) then return reply end
redis.call('HSET', batchKey, 'finishedAt', nowMs)
local completed = cjson.decode(batchEvent)
completed.occurredAt = nowIso
completed.finishedAt = nowIso
completed.total = tonumber(total)
completed.createdAt = redis.call('HGET', batchKey, 'createdAtIso')
completed.counts = {}
for _, counted in ipairs(outcomes) do
  completed.counts[counted] = tonumber(redis.call('HGET', batchKey, 'count:' .. counted) or '0')
end
local metadata = redis.call('HGET', batchKey, 'metadata')
if metadata then completed.metadata = cjson.decode(metadata) end
completed.submittedBy = redis.call('HGET', batchKey, 'submittedBy') or nil
redis.call('XADD', eventsKey, '*', 'event', cjson.encode(completed))
redis.call('EXPIRE', batchKey, retentionSeconds)
redis.call('EXPIRE', batchRequestsKey, retentionSeconds)
return reply
