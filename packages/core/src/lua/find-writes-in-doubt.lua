-- The other writes to a target that may have reached AIQUM unanswered during [from, to] (Redis time, ms):
-- claims in flight or whose worker died, writes being reconciled or whose reconciliation could not settle
-- them, and writes cancelled mid-call. Writes whose answer came (tracked, or ended with it) and writes proved
-- never received are left out. Read only.
-- Returns JSON [{requestId, from, to, object ('' when the write names none reconciliation can look up)}].
local doubtKey = KEYS[1] -- the target's writes in doubt
local requestKeyPrefix = ARGV[1] -- the request key of an id is this prefix and the id
local self = ARGV[2]
local from = tonumber(ARGV[3])
local to = tonumber(ARGV[4])

local found = {}
for _, requestId in ipairs(redis.call('ZRANGEBYSCORE', doubtKey, from, '+inf')) do
  if requestId ~= self then
    local record = hash_fields(requestKeyPrefix .. requestId,
      {'status', 'outcome', 'job', 'submitStartedAt', 'submitUntil', 'finishedAt', 'doubtFrom', 'doubtTo',
        'writeObject', 'reconciling'})
    -- Each time the write was in doubt: its recorded doubt, its claim, a cancel that came mid-call.
    local spans = {}
    if record.doubtFrom then table.insert(spans, {tonumber(record.doubtFrom), tonumber(record.doubtTo)}) end
    -- A reconciliation's own claim sends nothing: only the doubt it reconciles counts.
    if record.status == 'submitting' and record.reconciling ~= '1' then
      table.insert(spans, {tonumber(record.submitStartedAt or '0'), tonumber(record.submitUntil or '0')})
    end
    if record.status == 'completed' and record.outcome == 'cancelled' and not record.job and record.submitStartedAt then
      table.insert(spans, {tonumber(record.submitStartedAt), tonumber(record.finishedAt or '0')})
    end
    for _, span in ipairs(spans) do
      if span[1] <= to and span[2] >= from then
        table.insert(found, {requestId = requestId, from = span[1], to = span[2], object = record.writeObject or ''})
        break
      end
    end
  end
end
if #found == 0 then return '[]' end
return cjson.encode(found)
