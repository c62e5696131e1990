-- Begins a request's submission, in one command: reads its state, takes a call slot on its target, and for a
-- submission claims it with a token held until a lease expires (Redis's clock). Verdicts:
-- - missing / completed: nothing to do;
-- - waiting: its dependencies have not all ended; it is queued again when they have;
-- - busy (ms left): another worker holds a live claim on the submission;
-- - interrupted: a claim whose worker died mid-call, on a request that may not be resubmitted;
-- - limited (ms to wait): the target's limits refuse a call now;
-- - claimed: submit now (the same token again, as after a resent command, is the same claim; an expired
--   claim is taken anew when the request allows resubmission), or, for a request being reconciled
--   (`reconciling` in the reply), reconcile now; a reconciliation's claim is not a submit attempt;
-- - tracking: the request's Job is tracked by the pollers; the queue job has nothing left to do.
-- A slot is taken only with claimed, under `leaseId`. A write's claim puts it in its target's writes in doubt
-- until its lease ends (it may reach AIQUM unanswered), and remembers when it was taken and the object it names.
-- Returns JSON {verdict, submitAttempts, ms, now (Redis's clock, ms), state: {job, dialect, jobState,
-- submittedAt} (those set), reconciling}.
local requestKey = KEYS[1]
local inFlightKey = KEYS[2] -- the target's call leases
local recentKey = KEYS[3] -- the target's recent calls
local doubtKey = KEYS[4] -- the target's writes in doubt
local token = ARGV[1]
local claimLeaseMs = tonumber(ARGV[2])
local allowResubmit = ARGV[3] == '1'
local submitLeaseMs = tonumber(ARGV[4])
local maxConcurrent = tonumber(ARGV[5])
local callsPerWindow = tonumber(ARGV[6])
local windowMs = tonumber(ARGV[7])
local leaseId = ARGV[8]
local requestId = ARGV[9]
local isWrite = ARGV[10] == '1'
local writeObject = ARGV[11] -- '' when the write names no object reconciliation can look up
local doubtKeepMs = tonumber(ARGV[12])

local now = redis_now_ms()

local record = hash_fields(requestKey,
  {'status', 'submitAttempts', 'submitter', 'submitUntil', 'job', 'dialect', 'jobState',
    'submittedAt', 'reconciling', 'doubtFrom', 'doubtTo', 'doubtError'})

local function reply(verdict, attempts, ms, state)
  local answer = {verdict = verdict, submitAttempts = attempts, ms = ms, now = now, state = state or {}}
  if verdict == 'claimed' and record.reconciling == '1' then
    answer.reconciling = {from = tonumber(record.doubtFrom), to = tonumber(record.doubtTo),
      error = record.doubtError}
  end
  return cjson.encode(answer)
end

local status = record.status
if not status then return reply('missing', 0, 0) end
if status == 'completed' or status == 'tracking' or status == 'waiting' then return reply(status, 0, 0) end
local attempts = tonumber(record.submitAttempts or '0')
local state = {job = record.job, dialect = record.dialect, jobState = record.jobState, submittedAt = record.submittedAt}
if status == 'submitting' and record.submitter == token then
  -- The same command again (resent after a reconnect): its first run claimed and took the slot.
  limiter_take(inFlightKey, recentKey, {leaseId}, submitLeaseMs, windowMs, now)
  return reply('claimed', attempts, 0, state)
end
if status == 'submitting' then
  local leftMs = tonumber(record.submitUntil or '0') - now
  if leftMs > 0 then return reply('busy', attempts, leftMs) end
  if not allowResubmit then return reply('interrupted', attempts, 0, state) end
end
local free, waitMs = limiter_free(inFlightKey, recentKey, maxConcurrent, callsPerWindow, windowMs, now)
if free == 0 then return reply('limited', attempts, waitMs) end
local update = {'status', 'submitting', 'submitter', token, 'submitUntil', now + claimLeaseMs}
if record.reconciling ~= '1' then
  attempts = attempts + 1
  table.insert(update, 'submitAttempts')
  table.insert(update, attempts)
  table.insert(update, 'submitStartedAt')
  table.insert(update, now)
  if isWrite then
    table.insert(update, 'writeObject')
    table.insert(update, writeObject)
    redis.call('ZREMRANGEBYSCORE', doubtKey, '-inf', now - doubtKeepMs)
    redis.call('ZADD', doubtKey, 'GT', now + claimLeaseMs, requestId)
    redis.call('PEXPIRE', doubtKey, doubtKeepMs)
  end
end
redis.call('HSET', requestKey, unpack(update))
limiter_take(inFlightKey, recentKey, {leaseId}, submitLeaseMs, windowMs, now)
return reply('claimed', attempts, 0, state)
