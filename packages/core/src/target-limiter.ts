/**
 * Per-target limits on calls to AIQUM, shared by every worker through Redis: calls in flight (leases that
 * expire by themselves, so a worker that dies mid-call frees its slot after the lease) and calls started
 * per window. The Lua here is spliced into the request's step scripts, so taking a slot costs no command
 * of its own and releasing it rides on the script that records the call's result.
 */

export interface TargetLimits {
  maxConcurrent: number;
  maxPerSecond: number;
}

/** Rates under one call per second widen the window instead of allowing a fraction of a call. */
export function limiterWindow(limits: TargetLimits): { windowMs: number; callsPerWindow: number } {
  const windowMs = limits.maxPerSecond >= 1 ? 1_000 : Math.ceil(1_000 / limits.maxPerSecond);
  return { windowMs, callsPerWindow: Math.max(1, Math.floor((limits.maxPerSecond * windowMs) / 1_000)) };
}

/** Sets `now` to Redis's own clock in milliseconds, so workers whose clocks disagree share one window. */
export const redisNowLua = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)`;

interface LimiterLuaNames {
  /** Lua expressions for the two keys and the limits. */
  inFlight: string;
  recent: string;
  maxConcurrent: string;
  callsPerWindow: string;
  windowMs: string;
}

/**
 * Sets `limitFree` to how many calls may start now and, when none may, `limitWait` to the milliseconds to
 * wait (else 0). Needs `now`. Checked once for a whole batch of calls, not once per call.
 */
export function limiterCheckLua(names: LimiterLuaNames): string {
  return `
local limitWait = 0
redis.call('ZREMRANGEBYSCORE', ${names.inFlight}, '-inf', now)
redis.call('ZREMRANGEBYSCORE', ${names.recent}, '-inf', now - tonumber(${names.windowMs}))
local freeSlots = tonumber(${names.maxConcurrent}) - redis.call('ZCARD', ${names.inFlight})
local freeCalls = tonumber(${names.callsPerWindow}) - redis.call('ZCARD', ${names.recent})
local limitFree = math.max(0, math.min(freeSlots, freeCalls))
if freeSlots <= 0 then
  local first = redis.call('ZRANGE', ${names.inFlight}, 0, 0, 'WITHSCORES')
  limitWait = math.max(1, math.min(tonumber(first[2]) - now, 250))
elseif freeCalls <= 0 then
  local oldest = redis.call('ZRANGE', ${names.recent}, 0, 0, 'WITHSCORES')
  limitWait = math.max(1, tonumber(oldest[2]) + tonumber(${names.windowMs}) - now)
end`;
}

/**
 * Takes a slot for each lease id of the Lua list `leaseIds`, each for `leaseMs`: two commands for the
 * whole list. Needs `now`.
 */
export function limiterTakeLua(names: LimiterLuaNames & { leaseMs: string; leaseIds: string }): string {
  return `
do
  local leases, starts = {}, {}
  for _, leaseId in ipairs(${names.leaseIds}) do
    table.insert(leases, now + tonumber(${names.leaseMs}))
    table.insert(leases, leaseId)
    table.insert(starts, now)
    table.insert(starts, leaseId)
  end
  if #leases > 0 then
    redis.call('ZADD', ${names.inFlight}, unpack(leases))
    redis.call('ZADD', ${names.recent}, unpack(starts))
    -- Keep the leases key as long as its longest lease: a short call must not drop a long poll's lease.
    local keep = tonumber(${names.leaseMs}) + tonumber(${names.windowMs})
    if redis.call('PTTL', ${names.inFlight}) < keep then redis.call('PEXPIRE', ${names.inFlight}, keep) end
    redis.call('PEXPIRE', ${names.recent}, tonumber(${names.windowMs}) * 2)
  end
end`;
}

/** Releases a slot when a lease id is given (an empty one means the caller held none). */
export function limiterReleaseLua(inFlight: string, leaseId: string): string {
  return `if ${leaseId} ~= '' then redis.call('ZREM', ${inFlight}, ${leaseId}) end`;
}
