import type { RedisConnection } from '@aiqum-jobs/contracts';
import { z } from 'zod';

const timeReplySchema = z.tuple([z.coerce.number(), z.coerce.number()]);

/** Redis's clock now, in epoch ms (one `TIME`). */
export async function readRedisTimeMs(redis: RedisConnection): Promise<number> {
  const [seconds, micros] = timeReplySchema.parse(await redis.time());
  return seconds * 1_000 + Math.floor(micros / 1_000);
}

/**
 * Redis's clock as this process last read it (a script's reply, or TIME when nothing has been read yet),
 * carried forward by the local clock's elapsed time. Deadlines are compared on it, so a process whose own
 * clock is off compares them as Redis's scripts do.
 */
export class RedisClock {
  readonly #redis: RedisConnection;
  readonly #localNow: () => number;
  /** Redis's clock minus the local one, at the last reading. */
  #offsetMs: number | undefined;

  constructor(redis: RedisConnection, localNow: () => number = Date.now) {
    this.#redis = redis;
    this.#localNow = localNow;
  }

  /** Notes Redis's time in ms as a script just read it. */
  observe(redisNowMs: number): void {
    this.#offsetMs = redisNowMs - this.#localNow();
  }

  /** Redis's time in epoch ms, as best this process knows it. */
  async now(): Promise<number> {
    if (this.#offsetMs === undefined) this.observe(await readRedisTimeMs(this.#redis));
    return this.#localNow() + (this.#offsetMs ?? 0);
  }

  /** Whether Redis's time has reached `atMs` (a deadline, say). */
  async reached(atMs: number): Promise<boolean> {
    return (await this.now()) >= atMs;
  }
}
