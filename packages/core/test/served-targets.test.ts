import { type TestRedis, useTestRedis } from '@aiqum-jobs/test-support';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisKeys, type RedisKeys, ServedTargets } from '../src/index.js';

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
  it('lists the targets whose heartbeat is older than the limit that still have tracked requests', async () => {
    await served.heartbeat(['a', 'b', 'c']);
    await redis.zadd(keys.targetDue('b'), 1, 'r1', 2, 'r2');
    await redis.zadd(keys.targetDue('a'), 1, 'r3');
    // Heartbeats in Redis time: none is older than a minute yet.
    expect(await served.unserved(60_000)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await served.heartbeat(['a']);
    const unserved = await served.unserved(50);
    // c has no tracked requests; a beat again.
    expect(unserved).toEqual([{ target: 'b', tracked: 2, unservedMs: expect.any(Number) }]);
    expect(unserved[0]?.unservedMs).toBeGreaterThanOrEqual(50);
  });
});
