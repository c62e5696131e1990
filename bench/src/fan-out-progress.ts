import type { RedisConnection } from '@aiqum-jobs/contracts';
import { readStreamGroups } from '@aiqum-jobs/core';
import { fanOutGroup } from '@aiqum-jobs/webhooks';

/**
 * Waits until the webhook fan-out has read and acknowledged every event the stream holds (its consumer group
 * has no lag and nothing pending), and returns how long that took: the fan-out's lag behind the stream.
 */
export async function waitForFanOut(
  redis: RedisConnection,
  eventsKey: string,
  timeoutMs: number,
): Promise<number> {
  const started = performance.now();
  for (;;) {
    const [last] = await redis.xrevrange(eventsKey, '+', '-', 'COUNT', 1);
    if (last === undefined) return performance.now() - started;
    const group = (await readStreamGroups(redis, eventsKey)).find((entry) => entry.name === fanOutGroup);
    if (group && group.pending === 0 && group['last-delivered-id'] === last[0]) {
      return performance.now() - started;
    }
    if (performance.now() - started > timeoutMs) {
      throw new Error(`the webhook fan-out did not catch up with ${eventsKey} within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
