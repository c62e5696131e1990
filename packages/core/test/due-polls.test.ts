import { randomUUID } from 'node:crypto';
import { createRedisKeys, type RedisKeys, type RequestSpec } from '@aiqum-jobs/contracts';
import { lunRequest, redisTimeMs, type TestRedis, useTestRedis } from '@aiqum-jobs/test-support';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestStore } from '../src/index.js';

let testRedis: TestRedis;
let redis: Redis;
let keys: RedisKeys;
let store: RequestStore;

beforeAll(async () => {
  testRedis = await useTestRedis();
  redis = testRedis.connect();
  keys = createRedisKeys(testRedis.prefix);
  store = new RequestStore({ redis, keys, retentionSeconds: 3_600 });
});
afterAll(() => testRedis.close());

const job = {
  kind: 'aiqum' as const,
  key: 'k:1',
  href: '/api/management-server/jobs/k%3A1',
  source: 'job.key' as const,
};
const roomy = { maxConcurrent: 100, maxPerSecond: 10_000 };

/** Requests on `target`, submitted and tracked, their first poll due now. */
async function tracked(target: string, count: number): Promise<RequestSpec[]> {
  const now = Date.now();
  const specs = Array.from({ length: count }, () => ({
    requestId: randomUUID(),
    target,
    ...lunRequest('lun'),
    createdAt: now,
    deadlineAt: now + 60_000,
    retryAmbiguous: false,
  }));
  await store.records.create(specs);
  for (const spec of specs) {
    const token = randomUUID();
    await store.submissions.begin(spec.requestId, {
      target,
      limits: roomy,
      leaseId: token,
      token,
      claimLeaseMs: 60_000,
      allowResubmit: false,
      submitLeaseMs: 60_000,
    });
    await store.submissions.acceptJob(
      spec,
      job,
      token,
      { target, leaseId: token },
      {
        delayMs: 0,
        deadlineAt: spec.deadlineAt,
      },
    );
  }
  return specs;
}

const options = (max = 10, limits = roomy) => ({
  limits,
  max,
  claimMs: 30_000,
  leaseMs: 30_000,
  leaseIdPrefix: randomUUID(),
});

describe('due polls', () => {
  it('claims due polls with what a poll needs, and hides them until their claim runs out', async () => {
    const [spec] = await tracked('claims', 1);
    const { claims } = await store.schedule.claim('claims', options());
    expect(claims).toHaveLength(1);
    expect(claims[0]).toMatchObject({
      requestId: spec?.requestId,
      record: { status: 'tracking', job, spec: { requestId: spec?.requestId, target: 'claims' } },
    });
    // The record's spec has no body: it travels in the queue job (and is kept apart for retries).
    expect(claims[0]?.record?.spec.body).toBeUndefined();
    const again = await store.schedule.claim('claims', options());
    expect(again.claims).toEqual([]);
    expect(again.ms).toBeGreaterThan(25_000);
  });

  it('claims no more than the target limits allow, and frees a slot when the poll is recorded', async () => {
    const specs = await tracked('limited', 3);
    const limits = { maxConcurrent: 2, maxPerSecond: 10_000 };
    const first = await store.schedule.claim('limited', options(10, limits));
    expect(first.claims).toHaveLength(2);
    const refused = await store.schedule.claim('limited', options(10, limits));
    expect(refused.claims).toEqual([]);
    expect(refused.ms).toBeGreaterThan(0);

    const [claim] = first.claims;
    if (!claim) throw new Error('no claim');
    const before = await redisTimeMs(redis);
    await store.schedule.recordPoll(claim.requestId, { phase: 'running' }, 'docs', claim.slot, {
      delayMs: 5_000,
      deadlineAt: Number.MAX_SAFE_INTEGER,
    });
    const after = await redisTimeMs(redis);
    // Due 5 s after it was recorded, by Redis's clock.
    const nextAt = Number(await redis.zscore(keys.targetDue('limited'), claim.requestId));
    expect(nextAt).toBeGreaterThanOrEqual(before + 5_000);
    expect(nextAt).toBeLessThanOrEqual(after + 5_000);
    const third = await store.schedule.claim('limited', options(10, limits));
    expect(third.claims.map((c) => c.requestId)).toEqual(
      specs.map((s) => s.requestId).filter((id) => !first.claims.some((c) => c.requestId === id)),
    );
  });

  it('takes a completed request out of the due set, and hands released claims back due now', async () => {
    const [done, handed] = await tracked('release', 2);
    if (!done || !handed) throw new Error('no requests');
    const { claims } = await store.schedule.claim('release', options());
    expect(claims).toHaveLength(2);
    await store.completion.complete(
      done,
      { job },
      { outcome: 'succeeded' },
      {
        slot: claims.find((c) => c.requestId === done.requestId)?.slot ?? { target: 'release', leaseId: '' },
        countPoll: true,
      },
    );
    expect(await redis.zscore(keys.targetDue('release'), done.requestId)).toBeNull();
    await store.schedule.releaseClaims(claims.filter((c) => c.requestId === handed.requestId));
    const after = await store.schedule.claim('release', options());
    expect(after.claims.map((c) => c.requestId)).toEqual([handed.requestId]);
    expect((await store.records.get(done.requestId))?.polls).toBe(1);
  });

  it('says when nothing is tracked', async () => {
    expect(await store.schedule.claim('nothing', options())).toEqual({ claims: [], ms: -1 });
  });
});
