import type { Redis } from 'ioredis';

/**
 * Work the request queue has not caught up with: jobs ready to run (`wait`) and delayed jobs whose time
 * has come (a delayed job's score is its due time in ms times 4096, plus a counter). A worker that keeps
 * up keeps both near zero; a growing backlog means polls are running late.
 */
export async function queueBacklog(
  redis: Redis,
  prefix: string,
): Promise<{ waiting: number; overdue: number }> {
  const base = `${prefix}:requests`;
  const [waiting, overdue] = await Promise.all([
    redis.llen(`${base}:wait`),
    redis.zcount(`${base}:delayed`, 0, Date.now() * 0x1000),
  ]);
  return { waiting, overdue };
}

/** Bytes Redis holds for one key (`MEMORY USAGE`), 0 when it is gone. */
export async function keyBytes(redis: Redis, key: string): Promise<number> {
  const bytes = await redis.call('MEMORY', 'USAGE', key);
  return typeof bytes === 'number' ? bytes : 0;
}
