import { randomUUID } from 'node:crypto';
import {
  createRedisKeys,
  type RedisKeys,
  type RequestSpec,
  requestEndings,
  retryPolicySchema,
} from '@aiqum-jobs/contracts';
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
  store = new RequestStore({ redis, keys, retentionSeconds: 3600 });
});
afterAll(() => testRedis.close());

const job = {
  kind: 'aiqum' as const,
  key: 'job-1',
  href: '/api/management-server/jobs/job-1',
  source: 'job.key' as const,
};
const failed = requestEndings.jobError('aggregate is busy', undefined);

async function created(
  maxAttempts: number,
  deadlineInMs = 60_000,
): Promise<RequestSpec & { retry: NonNullable<RequestSpec['retry']> }> {
  const now = Date.now();
  const spec = {
    requestId: randomUUID(),
    target: 'lab',
    ...lunRequest('lun1'),
    createdAt: now,
    deadlineAt: now + deadlineInMs,
    retryAmbiguous: false,
    retry: retryPolicySchema.parse({ maxAttempts }),
  };
  await store.records.create([spec]);
  return spec;
}

describe('Attempts', () => {
  it('records the ended attempt, clears its job, and schedules the next in the due set at Redis time plus the delay', async () => {
    const spec = await created(3);
    await redis.hset(
      keys.request(spec.requestId),
      'status',
      'tracking',
      'job',
      JSON.stringify(job),
      'submittedAt',
      1,
    );
    const before = await redisTimeMs(redis);
    expect(await store.attempts.next(spec, { job }, failed, 5_000, { countPoll: true })).toBe('waiting');
    const after = await redisTimeMs(redis);
    const record = await store.records.get(spec.requestId);
    expect(record).toMatchObject({ status: 'queued', attempt: 2, polls: 1 });
    expect(record?.job).toBeUndefined();
    expect(record?.submittedAt).toBeUndefined();
    expect(record?.attempts).toEqual([
      {
        number: 1,
        outcome: 'failed',
        error: failed.error,
        job,
        jobResults: [],
        startedAt: new Date(spec.createdAt).toISOString(),
        finishedAt: expect.any(String),
      },
    ]);
    const due = Number(await redis.zscore(keys.targetDue('lab'), spec.requestId));
    expect(due).toBeGreaterThanOrEqual(before + 5_000);
    expect(due).toBeLessThanOrEqual(after + 5_000);
    expect(record?.attemptStartsAt).toBe(due);
    // The same end seen again (another worker, a resent command) is of an attempt the request left.
    expect(await store.attempts.next(spec, { job }, failed, 5_000)).toBe('stale');
    expect((await store.records.get(spec.requestId))?.attempts).toHaveLength(1);
  });

  it('answers last, changing nothing, for the last attempt the policy allows or one that would begin past the deadline', async () => {
    const single = await created(1);
    expect(await store.attempts.next(single, {}, failed, 100)).toBe('last');
    const late = await created(3, 1_000);
    expect(await store.attempts.next(late, {}, failed, 5_000)).toBe('last');
    for (const spec of [single, late]) {
      expect(await store.records.get(spec.requestId)).toMatchObject({ status: 'queued' });
      expect((await store.records.get(spec.requestId))?.attempts).toBeUndefined();
    }
  });

  it('completes a request waiting for its next attempt without adding one, and one at its attempt with it', async () => {
    const waiting = await created(3);
    expect(await store.attempts.next(waiting, { job }, failed, 30_000)).toBe('waiting');
    expect(await store.completion.complete(waiting, {}, requestEndings.cancelled())).toBe('completed');
    expect((await store.records.get(waiting.requestId))?.attempts?.map((a) => a.outcome)).toEqual(['failed']);
    expect(await redis.zscore(keys.targetDue('lab'), waiting.requestId)).toBeNull();

    const running = await created(3);
    expect(await store.attempts.next(running, { job }, failed, 0)).toBe('waiting');
    const second = { ...running, attempt: 2 };
    expect(await store.completion.complete(second, { job }, { outcome: 'succeeded', jobResults: [] })).toBe(
      'completed',
    );
    const attempts = (await store.records.get(running.requestId))?.attempts;
    expect(attempts?.map((a) => [a.number, a.outcome])).toEqual([
      [1, 'failed'],
      [2, 'succeeded'],
    ]);
  });

  it('takes a request out of the due set once its attempt is queued, unless it moved on', async () => {
    const spec = await created(3);
    expect(await store.attempts.next(spec, {}, failed, 0)).toBe('waiting');
    const slot = { target: 'lab', leaseId: 'lease-1' };
    // Queued for another attempt than the request's: its entry stays.
    expect(await store.attempts.queued(spec.requestId, 3, slot)).toBe('queued');
    expect(await redis.zscore(keys.targetDue('lab'), spec.requestId)).not.toBeNull();
    expect(await store.attempts.queued(spec.requestId, 2, slot)).toBe('queued');
    expect(await redis.zscore(keys.targetDue('lab'), spec.requestId)).toBeNull();
  });
});
