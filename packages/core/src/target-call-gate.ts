import type { RedisConnection, RedisKeys } from '@aiqum-jobs/contracts';
import { z } from 'zod';
import { LuaScript } from './lua-script.js';
import {
  limiterCheckLua,
  limiterReleaseLua,
  limiterTakeLua,
  limiterWindow,
  redisNowLua,
  type TargetLimits,
} from './target-limiter.js';

const gateLimiterNames = {
  inFlight: 'KEYS[1]',
  recent: 'KEYS[2]',
  maxConcurrent: 'ARGV[1]',
  callsPerWindow: 'ARGV[2]',
  windowMs: 'ARGV[3]',
};

/**
 * Takes one call slot on a target when its limits allow. KEYS: target in-flight leases, target recent calls.
 * ARGV: max concurrent, calls per window, window ms, lease id, lease ms. Returns 0 when taken, else the ms to
 * wait.
 */
const takeCallSlotScript = new LuaScript(`
${redisNowLua}
${limiterCheckLua(gateLimiterNames)}
if limitFree == 0 then return limitWait end
local leaseMs = ARGV[5]
${limiterTakeLua({ ...gateLimiterNames, leaseMs: 'leaseMs', leaseIds: '{ARGV[4]}' })}
return 0
`);

/** Releases a call slot. KEYS: target in-flight leases. ARGV: lease id. */
const releaseCallSlotScript = new LuaScript(`
${limiterReleaseLua('KEYS[1]', 'ARGV[1]')}
return 1
`);

/**
 * Call slots for calls that are not a request's own step (the name lookups made before a submission): they
 * count against the same per-target limits, shared by every worker, as submissions and polls do.
 */
export class TargetCallGate {
  readonly #redis: RedisConnection;
  readonly #keys: RedisKeys;

  constructor(redis: RedisConnection, keys: RedisKeys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  /** Takes a slot for `leaseMs` (a dead holder's slot frees itself then); else says how long to wait. */
  async take(
    target: string,
    limits: TargetLimits,
    leaseId: string,
    leaseMs: number,
  ): Promise<{ taken: true } | { taken: false; waitMs: number }> {
    const { windowMs, callsPerWindow } = limiterWindow(limits);
    const waitMs = z
      .number()
      .parse(
        await takeCallSlotScript.run(
          this.#redis,
          [this.#keys.targetInFlight(target), this.#keys.targetRecentCalls(target)],
          [limits.maxConcurrent, callsPerWindow, windowMs, leaseId, Math.ceil(leaseMs)],
        ),
      );
    return waitMs === 0 ? { taken: true } : { taken: false, waitMs };
  }

  async release(target: string, leaseId: string): Promise<void> {
    await releaseCallSlotScript.run(this.#redis, [this.#keys.targetInFlight(target)], [leaseId]);
  }
}
