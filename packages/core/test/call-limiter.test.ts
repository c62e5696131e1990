import { type TestRedis, useTestRedis } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallLimiter, createRedisKeys, type SlotGrant } from '../src/index.js';

let testRedis: TestRedis;
let limiter: CallLimiter;
let otherProcessLimiter: CallLimiter;

beforeAll(async () => {
  testRedis = await useTestRedis();
  const keys = createRedisKeys(testRedis.prefix);
  limiter = new CallLimiter({ redis: testRedis.connect(), keys });
  // A second connection stands for another worker process: the limit is shared through Redis.
  otherProcessLimiter = new CallLimiter({ redis: testRedis.connect(), keys });
});
afterAll(() => testRedis.close());

const granted = (grants: SlotGrant[]) => grants.filter((grant) => grant.granted);

describe('CallLimiter', () => {
  it('grants at most maxConcurrent slots across connections, and frees a slot on release', async () => {
    const limits = { maxConcurrent: 3, maxPerSecond: 1000 };
    const grants = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        (index % 2 ? limiter : otherProcessLimiter).acquire('concurrency', limits, 10_000),
      ),
    );
    expect(granted(grants)).toHaveLength(3);
    const refused = grants.find((grant) => !grant.granted);
    expect(refused && !refused.granted && refused.waitMs).toBeGreaterThan(0);

    const first = granted(grants)[0];
    if (!first?.granted) throw new Error('expected a grant');
    await first.release();
    expect((await limiter.acquire('concurrency', limits, 10_000)).granted).toBe(true);
    expect((await limiter.acquire('concurrency', limits, 10_000)).granted).toBe(false);
  });

  it('limits calls started per second and says how long to wait', async () => {
    const limits = { maxConcurrent: 100, maxPerSecond: 5 };
    const grants: SlotGrant[] = [];
    for (let index = 0; index < 7; index += 1) {
      const grant = await limiter.acquire('rate', limits, 1_000);
      if (grant.granted) await grant.release();
      grants.push(grant);
    }
    expect(granted(grants)).toHaveLength(5);
    const refused = grants.at(-1);
    expect(refused?.granted).toBe(false);
    if (refused && !refused.granted) {
      expect(refused.waitMs).toBeGreaterThan(0);
      expect(refused.waitMs).toBeLessThanOrEqual(1_000);
    }
  });

  it('lets a lease of a dead caller expire', async () => {
    const limits = { maxConcurrent: 1, maxPerSecond: 1000 };
    expect((await limiter.acquire('expiry', limits, 100)).granted).toBe(true);
    expect((await limiter.acquire('expiry', limits, 100)).granted).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await otherProcessLimiter.acquire('expiry', limits, 100)).granted).toBe(true);
  });

  it('allows fractional rates by widening the window', async () => {
    const limits = { maxConcurrent: 10, maxPerSecond: 0.5 };
    expect((await limiter.acquire('slow', limits, 1_000)).granted).toBe(true);
    const second = await limiter.acquire('slow', limits, 1_000);
    expect(second.granted).toBe(false);
    if (!second.granted) expect(second.waitMs).toBeGreaterThan(1_000);
  });
});
