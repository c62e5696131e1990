-- The attempts of a request with a retry policy, kept in its record as JSON text (`attempts`), with the
-- number (`attempt`, absent: 1) and start (`attemptStartsAt`, absent: the request's creation) of the attempt
-- under way or waiting. Attempts are appended as text: a cjson decode and encode would turn their empty
-- arrays into objects.

-- The record's attempts with the one under way appended as ending now: `attempt` is its JSON (outcome, error,
-- job, jobResults), to which its number and times are added. A request waiting for its next attempt (its
-- start still ahead, as when it is cancelled during the backoff) has none under way: nothing is appended.
-- Returns the attempts' JSON text, or nil when there are none.
local function attempts_with_ended(requestKey, attempt, createdAtMs, nowMs)
  local record = hash_fields(requestKey, {'attempt', 'attempts', 'attemptStartsAt'})
  local startsAt = tonumber(record.attemptStartsAt or createdAtMs)
  if startsAt > nowMs then return record.attempts end
  local ended = json_with_fields({
    number = tonumber(record.attempt or '1'),
    startedAt = iso_time(startsAt),
    finishedAt = iso_time(nowMs),
  }, attempt)
  if not record.attempts then return '[' .. ended .. ']' end
  return string.sub(record.attempts, 1, -2) .. ',' .. ended .. ']'
end

-- The JSON object `json` (text) with the field `name` set first to `value`, itself JSON text.
local function json_with_raw_field(name, value, json)
  return '{' .. cjson.encode(name) .. ':' .. value .. ',' .. string.sub(json, 2)
end
