-- Any status -> completed, exactly once, at Redis's time. Releases the caller's call slot, writes the outcome
-- (counting the poll that saw the end, when countPoll is '1'), appends request.completed (the caller's event
-- with the record's poll count, the times and `reconciled` added), counts the outcome in its batch, and for the last
-- request of a batch appends batch.completed. Sets the retention expiry and takes the request out of its
-- target's due set.
-- Returns 'completed', 'already-completed' or 'missing'.
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
-- Then the keys each present only when used, in this order: the target's call leases, the batch and its
-- request list.
local nextKey = 4
local inFlightKey, batchKey, batchRequestsKey
if leaseId ~= '' then inFlightKey, nextKey = KEYS[nextKey], nextKey + 1 end
if batchEvent ~= '' then batchKey, batchRequestsKey = KEYS[nextKey], KEYS[nextKey + 1] end

limiter_release(inFlightKey, leaseId)
redis.call('ZREM', dueKey, requestId)
local status = redis.call('HGET', requestKey, 'status')
if not status then return 'missing' end
if status == 'completed' then return 'already-completed' end
local nowMs = redis_now_ms()
local nowIso = iso_time(nowMs)
local update = {'status', 'completed', 'outcome', outcome, 'finishedAt', nowMs}
for name, value in pairs(fields) do
  table.insert(update, name)
  table.insert(update, value)
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
redis.call('XADD', eventsKey, '*', 'event', completedEvent)
local total = batchKey and redis.call('HGET', batchKey, 'total')
if not total then return 'completed' end
if status == 'tracking' then redis.call('HINCRBY', batchKey, 'tracking', -1) end
redis.call('HINCRBY', batchKey, 'count:' .. outcome, 1)
if redis.call('HINCRBY', batchKey, 'done', 1) ~= tonumber(total) then return 'completed' end
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
return 'completed'
