import type { RedisConnection, RedisKeys } from '@aiqum-jobs/contracts';
import { LuaScript, luaLibraries, readLuaFile } from '@aiqum-jobs/core';
import { z } from 'zod';

/** The same limiter functions as the per-target limits of AIQUM calls, with no rate: only leases. */
const takeScript = new LuaScript({
  body: readLuaFile(new URL('./lua/take-origin-slot.lua', import.meta.url)),
  libraries: [luaLibraries.redisTime, luaLibraries.limiter],
  keys: ['inFlight'],
  args: ['leaseId', 'leaseMs', 'maxInFlight'],
  reply: z.number(),
});

export interface OriginLimiterOptions {
  redis: RedisConnection;
  keys: RedisKeys;
  /** Deliveries in flight to one origin, all workers together. */
  maxPerOrigin: number;
  /** How long a lease lasts unless given back: a worker that dies mid-call frees its slot after it. */
  leaseMs: number;
}

/**
 * At most `maxPerOrigin` deliveries in flight per URL origin (scheme, host and port) across every worker,
 * as leases in a Redis sorted set, like the per-target limits of AIQUM calls.
 */
export class OriginLimiter {
  readonly #options: OriginLimiterOptions;

  constructor(options: OriginLimiterOptions) {
    this.#options = options;
  }

  /** Takes a slot for `leaseId`: 0 when taken, else how many milliseconds to wait before trying again. */
  async take(origin: string, leaseId: string): Promise<number> {
    const { redis, keys, leaseMs, maxPerOrigin } = this.#options;
    return takeScript.run(redis, {
      keys: { inFlight: keys.webhookOriginInFlight(origin) },
      args: { leaseId, leaseMs, maxInFlight: maxPerOrigin },
    });
  }

  async release(origin: string, leaseId: string): Promise<void> {
    await this.#options.redis.zrem(this.#options.keys.webhookOriginInFlight(origin), leaseId);
  }
}
