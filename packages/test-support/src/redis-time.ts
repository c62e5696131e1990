import type { Cluster, Redis } from 'ioredis';

/** Redis's clock in epoch milliseconds: the clock due times and deadlines are on. */
export async function redisTimeMs(redis: Redis | Cluster): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
}
