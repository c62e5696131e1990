import { createRedisKeys } from '@aiqum-jobs/contracts';
import type { Redis } from 'ioredis';

/**
 * Work the workers have not caught up with: submissions ready to run (the queue's \`wait\` list) and polls
 * whose time has come but that nobody claimed yet (due-set members scored at or before now; a claimed poll
 * is scored at its claim's end). A worker that keeps up keeps both near zero; a growing backlog means polls
 * are running late.
 */
export async function queueBacklog(
  redis: Redis,
  prefix: string,
  target: string,
): Promise<{ waiting: number; overdue: number }> {
  const [waiting, overdue] = await Promise.all([
    redis.llen(`${prefix}:requests:wait`),
    redis.zcount(createRedisKeys(prefix).targetDue(target), '-inf', Date.now()),
  ]);
  return { waiting, overdue };
}

/** Bytes Redis holds for one key (`MEMORY USAGE`), 0 when it is gone. */
export async function keyBytes(redis: Redis, key: string): Promise<number> {
  const bytes = await redis.call('MEMORY', 'USAGE', key);
  return typeof bytes === 'number' ? bytes : 0;
}
