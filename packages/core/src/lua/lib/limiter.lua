-- Limits on calls shared by every worker: leases in flight (a sorted set of lease ids scored by when they
-- expire, so a worker that dies mid-call frees its slot after the lease) and, when `recentKey` is given,
-- calls started per window (a sorted set of lease ids scored by when they started).

-- How many calls may start now and, when none may, the milliseconds to wait (else 0). Checked once for a
-- whole batch of calls, not once per call.
local function limiter_free(inFlightKey, recentKey, maxConcurrent, callsPerWindow, windowMs, now)
  redis.call('ZREMRANGEBYSCORE', inFlightKey, '-inf', now)
  local freeSlots = maxConcurrent - redis.call('ZCARD', inFlightKey)
  local freeCalls = math.huge
  if recentKey then
    redis.call('ZREMRANGEBYSCORE', recentKey, '-inf', now - windowMs)
    freeCalls = callsPerWindow - redis.call('ZCARD', recentKey)
  end
  if freeSlots <= 0 then
    -- Leases are usually given back long before they expire: look again soon.
    local first = redis.call('ZRANGE', inFlightKey, 0, 0, 'WITHSCORES')
    return 0, math.max(1, math.min(tonumber(first[2]) - now, 250))
  end
  if freeCalls <= 0 then
    local oldest = redis.call('ZRANGE', recentKey, 0, 0, 'WITHSCORES')
    return 0, math.max(1, tonumber(oldest[2]) + windowMs - now)
  end
  return math.min(freeSlots, freeCalls), 0
end

-- Takes a slot for each id of the list `leaseIds`, each for `leaseMs`: two commands for the whole list.
local function limiter_take(inFlightKey, recentKey, leaseIds, leaseMs, windowMs, now)
  if #leaseIds == 0 then return end
  local leases, starts = {}, {}
  for _, leaseId in ipairs(leaseIds) do
    table.insert(leases, now + leaseMs)
    table.insert(leases, leaseId)
    table.insert(starts, now)
    table.insert(starts, leaseId)
  end
  redis.call('ZADD', inFlightKey, unpack(leases))
  -- Keep the leases key as long as its longest lease: a short call must not drop a long poll's lease.
  local keep = leaseMs + windowMs
  if redis.call('PTTL', inFlightKey) < keep then redis.call('PEXPIRE', inFlightKey, keep) end
  if recentKey then
    redis.call('ZADD', recentKey, unpack(starts))
    redis.call('PEXPIRE', recentKey, windowMs * 2)
  end
end

-- Gives a slot back; nothing when the caller held none (no key or an empty lease id).
local function limiter_release(inFlightKey, leaseId)
  if inFlightKey and leaseId ~= '' then redis.call('ZREM', inFlightKey, leaseId) end
end
