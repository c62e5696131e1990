-- Takes one call slot on a target when its limits allow. Returns 0 when taken, else the ms to wait.
local inFlightKey = KEYS[1] -- the target's call leases
local recentKey = KEYS[2] -- the target's recent calls
local maxConcurrent = tonumber(ARGV[1])
local callsPerWindow = tonumber(ARGV[2])
local windowMs = tonumber(ARGV[3])
local leaseId = ARGV[4]
local leaseMs = tonumber(ARGV[5])

local now = redis_now_ms()
local free, waitMs = limiter_free(inFlightKey, recentKey, maxConcurrent, callsPerWindow, windowMs, now)
if free == 0 then return waitMs end
limiter_take(inFlightKey, recentKey, {leaseId}, leaseMs, windowMs, now)
return 0
