import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { LuaScript, type RedisConnection } from './lua-script.js';
import type { RedisKeys } from './redis-keys.js';

/**
 * Takes a call slot on one target if both limits allow: fewer than maxConcurrent leases alive, and fewer
 * than the per-second allowance started in the last window. A lease expires by itself, so a worker that
 * dies mid-call cannot hold a slot for longer than its lease.
 * Time is Redis's own clock, so workers whose clocks disagree still share one window.
 * KEYS: in-flight leases, recent call starts. ARGV: lease ms, max concurrent, calls per window, window ms,
 * lease id. Returns 0 when granted, else the milliseconds to wait before asking again.
 */
const acquireScript = new LuaScript(`
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local window = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, math.min(tonumber(first[2]) - now, 250))
end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[5])
redis.call('ZADD', KEYS[2], now, ARGV[5])
-- Keep the leases key as long as its longest lease: a short call must not drop a long poll's lease.
local keep = tonumber(ARGV[1]) + window
if redis.call('PTTL', KEYS[1]) < keep then redis.call('PEXPIRE', KEYS[1], keep) end
redis.call('PEXPIRE', KEYS[2], window * 2)
return 0
`);

export interface TargetLimits {
  maxConcurrent: number;
  maxPerSecond: number;
}

export type SlotGrant = { granted: true; release: () => Promise<void> } | { granted: false; waitMs: number };

export interface CallLimiterOptions {
  redis: RedisConnection;
  keys: RedisKeys;
}

/**
 * Per-target limits on calls to AIQUM, shared by every process through Redis: concurrent calls and calls
 * started per second, submissions and polls together. A caller that is refused does not wait in-process:
 * it reschedules its work for `waitMs` later, so a refused request holds no worker slot.
 */
export class CallLimiter {
  readonly #redis: RedisConnection;
  readonly #keys: RedisKeys;

  constructor(options: CallLimiterOptions) {
    this.#redis = options.redis;
    this.#keys = options.keys;
  }

  /** Asks for a slot for one call expected to last at most `leaseMs`. */
  async acquire(target: string, limits: TargetLimits, leaseMs: number): Promise<SlotGrant> {
    // Rates under one call per second widen the window instead of allowing a fraction of a call.
    const windowMs = limits.maxPerSecond >= 1 ? 1_000 : Math.ceil(1_000 / limits.maxPerSecond);
    const callsPerWindow = Math.max(1, Math.floor((limits.maxPerSecond * windowMs) / 1_000));
    const leaseId = randomUUID();
    const inFlight = this.#keys.targetInFlight(target);
    const waitMs = z
      .number()
      .parse(
        await acquireScript.run(
          this.#redis,
          [inFlight, this.#keys.targetRecentCalls(target)],
          [leaseMs, limits.maxConcurrent, callsPerWindow, windowMs, leaseId],
        ),
      );
    if (waitMs > 0) return { granted: false, waitMs };
    return {
      granted: true,
      release: async () => {
        await this.#redis.zrem(inFlight, leaseId);
      },
    };
  }
}
