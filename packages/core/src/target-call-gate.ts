import type { RedisConnection, RedisKeys } from '@aiqum-jobs/contracts';
import { z } from 'zod';
import { luaLibraries } from './lua-libraries.js';
import { LuaScript, readLuaFile } from './lua-script.js';
import { limiterWindow, type TargetLimits } from './target-limiter.js';

const takeCallSlotScript = new LuaScript({
  body: readLuaFile(new URL('./lua/take-call-slot.lua', import.meta.url)),
  libraries: [luaLibraries.redisTime, luaLibraries.limiter],
  keys: ['inFlight', 'recent'],
  args: ['maxConcurrent', 'callsPerWindow', 'windowMs', 'leaseId', 'leaseMs'],
  reply: z.number(),
});

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
    const waitMs = await takeCallSlotScript.run(this.#redis, {
      keys: { inFlight: this.#keys.targetInFlight(target), recent: this.#keys.targetRecentCalls(target) },
      args: {
        maxConcurrent: limits.maxConcurrent,
        callsPerWindow,
        windowMs,
        leaseId,
        leaseMs: Math.ceil(leaseMs),
      },
    });
    return waitMs === 0 ? { taken: true } : { taken: false, waitMs };
  }

  async release(target: string, leaseId: string): Promise<void> {
    await this.#redis.zrem(this.#keys.targetInFlight(target), leaseId);
  }
}
