import { requestOutcomes } from '@aiqum-jobs/contracts';
import { scheduleDueLua } from './due-notice.js';
import { LuaScript } from './lua-script.js';
import { limiterCheckLua, limiterReleaseLua, limiterTakeLua, redisNowLua } from './target-limiter.js';

/**
 * The request state machine's atomic steps. Each is one Lua script: it checks the status it expects and
 * does nothing otherwise, so two workers (or a worker and a cancelling producer) can race without harm.
 * Every script returns the request's status after the call, or `missing` when the record is gone.
 */

/**
 * Stores new requests (and their batch) in one step: one command for a whole batch instead of two per
 * request. KEYS: batch, batch requests (both only with a batch), then each request. ARGV: has batch
 * '1'/'0', batch fields JSON, batch TTL s, then per request: id, spec JSON, TTL s.
 */
export const createRequestsScript = new LuaScript(`
local first = 1
if ARGV[1] == '1' then
  for name, value in pairs(cjson.decode(ARGV[2])) do redis.call('HSET', KEYS[1], name, value) end
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  first = 3
end
local ids = {}
for i = first, #KEYS do
  local at = 4 + (i - first) * 3
  redis.call('HSET', KEYS[i], 'spec', ARGV[at + 1], 'status', 'queued', 'polls', 0, 'submitAttempts', 0)
  redis.call('EXPIRE', KEYS[i], ARGV[at + 2])
  table.insert(ids, ARGV[at])
  -- In chunks: unpack() of a whole batch of 10,000 would overflow Lua's stack.
  if first == 3 and (#ids == 1000 or i == #KEYS) then
    redis.call('RPUSH', KEYS[2], unpack(ids))
    ids = {}
  end
end
if first == 3 then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
return #KEYS - first + 1
`);

/**
 * The limiter's Lua names in a script whose KEYS[2] and KEYS[3] are the target's in-flight leases and recent
 * calls, and whose limits are three ARGVs from `firstLimitArg` on: max concurrent, calls per window, window ms.
 */
function limiterNamesFrom(firstLimitArg: number) {
  return {
    inFlight: 'KEYS[2]',
    recent: 'KEYS[3]',
    maxConcurrent: `ARGV[${firstLimitArg}]`,
    callsPerWindow: `ARGV[${firstLimitArg + 1}]`,
    windowMs: `ARGV[${firstLimitArg + 2}]`,
  };
}

const stepLimiterNames = limiterNamesFrom(5);
const claimLimiterNames = limiterNamesFrom(4);

/**
 * Begins a request's submission, in one command: reads its state, takes a call slot on its target, and for a
 * submission claims it with a token held until a lease expires (Redis's clock). Verdicts:
 * - \`missing\` / \`completed\`: nothing to do;
 * - \`busy\` (ms left): another worker holds a live claim on the submission;
 * - \`interrupted\`: a claim whose worker died mid-call, on a request that may not be resubmitted;
 * - \`limited\` (ms to wait): the target's limits refuse a call now;
 * - \`claimed\`: submit now (the same token again, as after a resent command, is the same claim; an expired
 *   claim is taken anew when the request allows resubmission);
 * - \`tracking\`: the request's Job is tracked by the pollers; the queue job has nothing left to do.
 * A slot is taken only with \`claimed\`, under the lease id ARGV[8].
 * KEYS: request, target in-flight leases, target recent calls. ARGV: claim token, claim lease ms, allow
 * resubmit '1'/'0', submission lease ms, max concurrent, calls per window, window ms, lease id.
 * Returns { verdict, submitAttempts, ms, job, dialect, jobState, submittedAt } (state fields false if unset).
 */
export const beginSubmissionScript = new LuaScript(`
local record = redis.call('HMGET', KEYS[1], 'status', 'submitAttempts', 'submitter', 'submitUntil', 'job', 'dialect', 'jobState', 'submittedAt')
local status = record[1]
if not status then return {'missing', 0, 0} end
if status == 'completed' then return {'completed', 0, 0} end
if status == 'tracking' then return {'tracking', 0, 0} end
local attempts = tonumber(record[2] or '0')
${redisNowLua}
local leaseMs = ARGV[4]
if status == 'submitting' and record[3] == ARGV[1] then
  -- The same command again (resent after a reconnect): its first run claimed and took the slot.
  ${limiterTakeLua({ ...stepLimiterNames, leaseMs: 'leaseMs', leaseIds: '{ARGV[8]}' })}
  return {'claimed', attempts, 0, record[5], record[6], record[7], record[8]}
end
if status == 'submitting' then
  local leftMs = tonumber(record[4] or '0') - now
  if leftMs > 0 then return {'busy', attempts, leftMs} end
  if ARGV[3] ~= '1' then return {'interrupted', attempts, 0, record[5], record[6], record[7], record[8]} end
end
${limiterCheckLua(stepLimiterNames)}
if limitFree == 0 then return {'limited', attempts, limitWait} end
attempts = attempts + 1
redis.call('HSET', KEYS[1], 'status', 'submitting', 'submitter', ARGV[1], 'submitUntil', now + tonumber(ARGV[2]), 'submitAttempts', attempts)
${limiterTakeLua({ ...stepLimiterNames, leaseMs: 'leaseMs', leaseIds: '{ARGV[8]}' })}
return {'claimed', attempts, 0, record[5], record[6], record[7], record[8]}
`);

/**
 * submitting → queued by the claim holder, after an error that proves the call never reached AIQUM; releases
 * the call slot. KEYS: request, target in-flight leases. ARGV: token, lease id ('' for none).
 */
export const requeueSubmissionScript = new LuaScript(`
${limiterReleaseLua('KEYS[2]', 'ARGV[2]')}
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'missing' end
if status == 'submitting' and redis.call('HGET', KEYS[1], 'submitter') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'status', 'queued')
  redis.call('HDEL', KEYS[1], 'submitter', 'submitUntil')
  return 'queued'
end
return status
`);

/**
 * submitting → tracking by the claim holder: AIQUM returned a Job. Releases the call slot, records the Job,
 * schedules its first poll in the target's due set, counts it as tracked in its batch and appends
 * \`request.accepted\`. KEYS: request, events, batch (the request key again when there is no batch), target
 * in-flight leases, target due set. ARGV: job JSON, submittedAt, event JSON, has batch '1'/'0',
 * claim token, lease id ('' for none), first poll time ms, request id, resolved references JSON ('' for
 * none), due channel, target. Returns the status after the call, or 'not-holder' when another claim took over.
 */
export const acceptJobScript = new LuaScript(`
${limiterReleaseLua('KEYS[4]', 'ARGV[6]')}
local record = redis.call('HMGET', KEYS[1], 'status', 'submitter')
local status = record[1]
if not status then return 'missing' end
if status ~= 'submitting' then return status end
if record[2] ~= ARGV[5] then return 'not-holder' end
redis.call('HSET', KEYS[1], 'status', 'tracking', 'job', ARGV[1], 'submittedAt', ARGV[2])
if ARGV[9] ~= '' then redis.call('HSET', KEYS[1], 'resolved', ARGV[9]) end
redis.call('HDEL', KEYS[1], 'submitter', 'submitUntil')
${scheduleDueLua({ due: 'KEYS[5]', score: 'ARGV[7]', member: 'ARGV[8]', channel: 'ARGV[10]', target: 'ARGV[11]' })}
if ARGV[4] == '1' and redis.call('EXISTS', KEYS[3]) == 1 then redis.call('HINCRBY', KEYS[3], 'tracking', 1) end
redis.call('XADD', KEYS[2], '*', 'event', ARGV[3])
return 'tracking'
`);

/**
 * Records one poll of a tracked Job, releases its call slot and schedules the next poll. KEYS: request,
 * target in-flight leases, target due set. ARGV: jobState JSON, dialect, lease id, next poll time ms, request
 * id, due channel, target. Returns { status, polls }.
 */
export const recordPollScript = new LuaScript(`
${limiterReleaseLua('KEYS[2]', 'ARGV[3]')}
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'tracking' then
  redis.call('ZREM', KEYS[3], ARGV[5])
  if not status then return {'missing', 0} end
  return {status, tonumber(redis.call('HGET', KEYS[1], 'polls') or '0')}
end
-- Counted first: a count that fails (an unreadable field) leaves the record as it was.
local polls = redis.call('HINCRBY', KEYS[1], 'polls', 1)
redis.call('HSET', KEYS[1], 'jobState', ARGV[1], 'dialect', ARGV[2])
-- No field means no errors: a tracked record holds fewer fields most of its life.
redis.call('HDEL', KEYS[1], 'pollErrors', 'pollFailures')
${scheduleDueLua({ due: 'KEYS[3]', score: 'ARGV[4]', member: 'ARGV[5]', channel: 'ARGV[6]', target: 'ARGV[7]' })}
return {status, polls}
`);

/**
 * Records a failed poll of a tracked Job (successful polls reset the count), releases its call slot and
 * schedules the next try. KEYS: request, target in-flight leases, target due set. ARGV: lease id, next poll
 * time ms, request id, due channel, target. Returns { status, consecutive poll errors }.
 */
export const recordPollErrorScript = new LuaScript(`
${limiterReleaseLua('KEYS[2]', 'ARGV[1]')}
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'tracking' then
  redis.call('ZREM', KEYS[3], ARGV[3])
  if not status then return {'missing', 0} end
  return {status, 0}
end
${scheduleDueLua({ due: 'KEYS[3]', score: 'ARGV[2]', member: 'ARGV[3]', channel: 'ARGV[4]', target: 'ARGV[5]' })}
return {status, redis.call('HINCRBY', KEYS[1], 'pollErrors', 1)}
`);

/**
 * Records a poll that failed inside the worker (our code or a script threw; AIQUM's answers are counted by
 * \`recordPollErrorScript\`): releases its call slot and schedules the next try. The count lives in the record
 * so that it survives restarts and is shared by workers; a recorded poll resets it. KEYS: request, target
 * in-flight leases, target due set. ARGV: lease id ('' for none), next try time ms, request id, due channel,
 * target. Returns
 * { status, internal failures in a row }.
 */
export const recordPollFailureScript = new LuaScript(`
${limiterReleaseLua('KEYS[2]', 'ARGV[1]')}
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'tracking' then
  redis.call('ZREM', KEYS[3], ARGV[3])
  if not status then return {'missing', 0} end
  return {status, 0}
end
${scheduleDueLua({ due: 'KEYS[3]', score: 'ARGV[2]', member: 'ARGV[3]', channel: 'ARGV[4]', target: 'ARGV[5]' })}
return {status, redis.call('HINCRBY', KEYS[1], 'pollFailures', 1)}
`);

/**
 * Claims the due polls of one target, as many as its limits allow: each gets a call slot (lease id ARGV[7]
 * and its index) and is re-scored to now + ARGV[2], so that a worker that dies with it makes it due again.
 * The records are read here too (same hash slot as the declared keys: the prefix is a hash tag), so a poll
 * needs no command of its own before its call. KEYS: target due set, target in-flight leases, target recent
 * calls. ARGV: max claims, claim ms, slot lease ms, max concurrent, calls per window, window ms, lease id
 * prefix, request key prefix. Returns { ms: 0 with claims, else until the next due poll or a free slot (-1:
 * none due), then per claim: request id, lease id, status, spec, job, dialect, jobState, submittedAt, resolved,
 * polls, pollErrors }.
 */
export const claimPollsScript = new LuaScript(`
${redisNowLua}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
if #due == 0 then
  local nextDue = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if #nextDue == 0 then return {-1} end
  return {math.max(1, tonumber(nextDue[2]) - now)}
end
${limiterCheckLua(claimLimiterNames)}
if limitFree == 0 then return {limitWait} end
local count = math.min(#due, limitFree)
local leaseIds, claimed = {}, {}
local out = {0}
for index = 1, count do
  local id = due[index]
  leaseIds[index] = ARGV[7] .. ':' .. index
  table.insert(claimed, now + tonumber(ARGV[2]))
  table.insert(claimed, id)
  local record = redis.call('HMGET', ARGV[8] .. id, 'status', 'spec', 'job', 'dialect', 'jobState', 'submittedAt', 'resolved', 'polls', 'pollErrors')
  table.insert(out, id)
  table.insert(out, leaseIds[index])
  for field = 1, 9 do table.insert(out, record[field] or '') end
end
redis.call('ZADD', KEYS[1], unpack(claimed))
local leaseMs = ARGV[3]
${limiterTakeLua({ ...claimLimiterNames, leaseMs: 'leaseMs', leaseIds: 'leaseIds' })}
return out
`);

const outcomeList = requestOutcomes.map((outcome) => `'${outcome}'`).join(', ');

/**
 * Any status → completed, exactly once. Releases the caller's call slot, writes the outcome (counting the
 * poll that saw the end, when ARGV[10] is '1'), appends \`request.completed\` (the caller's event JSON with
 * the record's poll count put first), counts the outcome in its batch, and for the last request of a batch
 * appends \`batch.completed\`. Sets the retention expiry.
 * Takes the request out of its target's due set.
 * KEYS: request, events, batch, batch requests (the request key twice more when there is no batch), target
 * in-flight leases (the request key when there is no slot), target due set.
 * ARGV: outcome, fields JSON (flat: name → string), event JSON, now ms, now ISO, retention s,
 *       has batch '1'/'0', batch id, lease id ('' for none), count a poll '1'/'0', request id.
 */
export const completeRequestScript = new LuaScript(`
${limiterReleaseLua('KEYS[5]', 'ARGV[9]')}
redis.call('ZREM', KEYS[6], ARGV[11])
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'missing' end
if status == 'completed' then return 'already-completed' end
local update = {'status', 'completed', 'outcome', ARGV[1], 'finishedAt', ARGV[4]}
for name, value in pairs(cjson.decode(ARGV[2])) do
  table.insert(update, name)
  table.insert(update, value)
end
redis.call('HSET', KEYS[1], unpack(update))
local polls
if ARGV[10] == '1' then polls = redis.call('HINCRBY', KEYS[1], 'polls', 1)
else polls = redis.call('HGET', KEYS[1], 'polls') or '0' end
redis.call('EXPIRE', KEYS[1], ARGV[6])
local event = '{"polls":' .. polls .. ',' .. string.sub(ARGV[3], 2)
redis.call('XADD', KEYS[2], '*', 'event', event)
local total = ARGV[7] == '1' and redis.call('HGET', KEYS[3], 'total')
if total then
  total = tonumber(total)
  if status == 'tracking' then redis.call('HINCRBY', KEYS[3], 'tracking', -1) end
  redis.call('HINCRBY', KEYS[3], 'count:' .. ARGV[1], 1)
  local done = redis.call('HINCRBY', KEYS[3], 'done', 1)
  if done == total then
    redis.call('HSET', KEYS[3], 'finishedAt', ARGV[4])
    local counts = {}
    for _, outcome in ipairs({${outcomeList}}) do
      table.insert(counts, '"' .. outcome .. '":' .. (redis.call('HGET', KEYS[3], 'count:' .. outcome) or '0'))
    end
    local batchEvent = '{"id":' .. cjson.encode(ARGV[8] .. ':completed')
      .. ',"type":"batch.completed","occurredAt":"' .. ARGV[5] .. '","batchId":' .. cjson.encode(ARGV[8])
      .. ',"total":' .. total .. ',"counts":{' .. table.concat(counts, ',') .. '}'
      .. ',"createdAt":"' .. redis.call('HGET', KEYS[3], 'createdAtIso') .. '","finishedAt":"' .. ARGV[5] .. '"'
    local metadata = redis.call('HGET', KEYS[3], 'metadata')
    if metadata then batchEvent = batchEvent .. ',"metadata":' .. metadata end
    local submittedBy = redis.call('HGET', KEYS[3], 'submittedBy')
    if submittedBy then batchEvent = batchEvent .. ',"submittedBy":' .. cjson.encode(submittedBy) end
    redis.call('XADD', KEYS[2], '*', 'event', batchEvent .. '}')
    redis.call('EXPIRE', KEYS[3], ARGV[6])
    redis.call('EXPIRE', KEYS[4], ARGV[6])
  end
end
return 'completed'
`);
