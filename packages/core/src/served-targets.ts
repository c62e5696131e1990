import type { RedisConnection, RedisKeys } from '@aiqum-jobs/contracts';
import { readRedisTimeMs } from './redis-clock.js';

/** A target no worker has advertised lately, and how many tracked requests wait on it. */
export interface UnservedTarget {
  target: string;
  /** Since its last heartbeat ran out, in Redis time. */
  unservedMs: number;
  /** Requests in its due set. */
  tracked: number;
}

/**
 * Which targets the running workers serve: each worker advertises its own with a heartbeat that says until
 * when it holds (Redis time, so workers' clocks do not matter; each worker names its own validity, so workers
 * that beat at different rates never find each other's targets unserved). A target that every worker dropped from its configuration stops
 * being refreshed, and its tracked requests can be found (nobody else would ever poll them).
 */
export class ServedTargets {
  readonly #redis: RedisConnection;
  readonly #keys: RedisKeys;

  constructor(redis: RedisConnection, keys: RedisKeys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  /** Advertises that this process serves `targets` for the next `validMs` (never shortening another's). */
  async heartbeat(targets: readonly string[], validMs: number): Promise<void> {
    if (targets.length === 0) return;
    const until = (await this.#redisNow()) + validMs;
    await this.#redis.zadd(this.#keys.servedTargets, 'GT', ...targets.flatMap((target) => [until, target]));
  }

  /**
   * Targets whose last heartbeat ran out that still have tracked requests. Targets without any stay listed
   * in Redis (one small entry each), so that a target served again needs nothing to be undone.
   */
  async unserved(): Promise<UnservedTarget[]> {
    const now = await this.#redisNow();
    const flat = await this.#redis.zrangebyscore(this.#keys.servedTargets, '-inf', `(${now}`, 'WITHSCORES');
    const stale: Array<{ target: string; unservedMs: number }> = [];
    for (let index = 0; index + 1 < flat.length; index += 2) {
      stale.push({ target: flat[index] ?? '', unservedMs: now - Number(flat[index + 1]) });
    }
    if (stale.length === 0) return [];
    const counts = await Promise.all(
      stale.map(({ target }) => this.#redis.zcard(this.#keys.targetDue(target))),
    );
    return stale
      .map((entry, index) => ({ ...entry, tracked: counts[index] ?? 0 }))
      .filter((entry) => entry.tracked > 0);
  }

  /** Redis's clock in ms: the one every heartbeat is scored on. */
  #redisNow(): Promise<number> {
    return readRedisTimeMs(this.#redis);
  }
}
