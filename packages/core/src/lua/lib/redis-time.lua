-- Redis's own clock in milliseconds: every worker reads the same clock, whatever its own says.
local function redis_now_ms()
  local clock = redis.call('TIME')
  return tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
end
