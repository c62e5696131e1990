import { createRedisKeys, type RedisKeys } from '@aiqum-jobs/contracts';
import { type TestRedis, useTestRedis } from '@aiqum-jobs/test-support';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServedTargets } from '../src/index.js';

let testRedis: TestRedis;
let redis: Redis;
let keys: RedisKeys;
let served: ServedTargets;

beforeAll(async () => {
  testRedis = await useTestRedis();
  redis = testRedis.connect();
  keys = createRedisKeys(testRedis.prefix);
  served = new ServedTargets(redis, keys);
});
afterAll(() => testRedis.close());

describe('ServedTargets', () => {
  it('lists the targets whose heartbeat ran out that still have tracked requests', async () => {
    await served.heartbeat(['a', 'b', 'c'], 50);
    await redis.zadd(keys.targetDue('b'), 1, 'r1', 2, 'r2');
    await redis.zadd(keys.targetDue('a'), 1, 'r3');
    // Heartbeats in Redis time: none has run out yet.
    expect(await served.unserved()).toEqual([]);
    // A worker beating less often holds longer; a shorter beat of another never shortens it.
    await served.heartbeat(['a'], 60_000);
    await served.heartbeat(['a'], 10);
    await new Promise((resolve) => setTimeout(resolve, 80));
    const unserved = await served.unserved();
    // c has no tracked requests; a is held by the longer heartbeat.
    expect(unserved).toEqual([{ target: 'b', tracked: 2, unservedMs: expect.any(Number) }]);
    expect(unserved[0]?.unservedMs).toBeGreaterThanOrEqual(20);
  });
});
