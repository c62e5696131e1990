-- Takes a delivery slot on a URL origin when fewer than `maxInFlight` deliveries to it are in flight.
-- Returns 0 when taken, else the ms to wait (short: leases are usually given back long before they expire).
local inFlightKey = KEYS[1] -- the origin's leases
local leaseId = ARGV[1]
local leaseMs = tonumber(ARGV[2])
local maxInFlight = tonumber(ARGV[3])

local now = redis_now_ms()
local free, waitMs = limiter_free(inFlightKey, nil, maxInFlight, nil, 0, now)
if free == 0 then return waitMs end
limiter_take(inFlightKey, nil, {leaseId}, leaseMs, 0, now)
return 0
