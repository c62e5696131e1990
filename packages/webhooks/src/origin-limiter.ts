import type { RedisConnection, RedisKeys } from '@aiqum-jobs/contracts';
import { LuaScript, redisNowLua } from '@aiqum-jobs/core';

/** Longest wait before a delivery that found its origin busy looks again, in milliseconds. */
const maxWaitMs = 250;

/**
 * KEYS[1] the origin's leases; ARGV lease id, lease ms, most in flight. Returns 0 when the lease is taken,
 * else the milliseconds until the oldest lease expires (at most `maxWaitMs`: leases are usually given back
 * long before they expire).
 */
const takeScript = new LuaScript(`${redisNowLua}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, math.min(tonumber(first[2]) - now, ${maxWaitMs}))
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`);

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
    const key = keys.webhookOriginInFlight(origin);
    return Number(await takeScript.run(redis, [key], [leaseId, leaseMs, maxPerOrigin]));
  }

  async release(origin: string, leaseId: string): Promise<void> {
    await this.#options.redis.zrem(this.#options.keys.webhookOriginInFlight(origin), leaseId);
  }
}
