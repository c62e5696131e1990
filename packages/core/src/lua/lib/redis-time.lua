-- Redis's own clock in milliseconds: every worker reads the same clock, whatever its own says. Read once per
-- script run: the calls of one batch (run-batch.lua) run in the same instant anyway, and share one TIME.
local nowMsOfThisRun
local function redis_now_ms()
  if nowMsOfThisRun == nil then
    local clock = redis.call('TIME')
    nowMsOfThisRun = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
  end
  return nowMsOfThisRun
end

-- A time in epoch milliseconds as JavaScript's toISOString() writes it (UTC, milliseconds, 'Z').
-- The date is Howard Hinnant's civil_from_days: scripts have no os.date.
local function iso_time(ms)
  local seconds = math.floor(ms / 1000)
  local days = math.floor(seconds / 86400)
  local secondOfDay = seconds - days * 86400
  local shifted = days + 719468
  local era = math.floor(shifted / 146097)
  local dayOfEra = shifted - era * 146097
  local yearOfEra = math.floor((dayOfEra - math.floor(dayOfEra / 1460) + math.floor(dayOfEra / 36524)
    - math.floor(dayOfEra / 146096)) / 365)
  local dayOfYear = dayOfEra - (365 * yearOfEra + math.floor(yearOfEra / 4) - math.floor(yearOfEra / 100))
  local monthIndex = math.floor((5 * dayOfYear + 2) / 153)
  local day = dayOfYear - math.floor((153 * monthIndex + 2) / 5) + 1
  local month = monthIndex < 10 and monthIndex + 3 or monthIndex - 9
  local year = yearOfEra + era * 400 + (month <= 2 and 1 or 0)
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', year, month, day, math.floor(secondOfDay / 3600),
    math.floor(secondOfDay % 3600 / 60), secondOfDay % 60, ms % 1000)
end
