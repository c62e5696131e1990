/**
 * Per-target limits on calls to AIQUM, shared by every worker through Redis: calls in flight (leases that
 * expire by themselves, so a worker that dies mid-call frees its slot after the lease) and calls started
 * per window. The Lua is lua/lib/limiter.lua, put into the request's step scripts, so taking a slot costs no
 * command of its own and releasing it rides on the script that records the call's result.
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
