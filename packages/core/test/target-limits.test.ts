import { randomUUID } from 'node:crypto';
import { createRedisKeys, type RedisKeys, type RequestSpec } from '@aiqum-jobs/contracts';
import { lunRequest, type TestRedis, useTestRedis } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestStore, type SubmissionStart } from '../src/index.js';
import type { SubmissionRequest } from '../src/submissions.js';
import type { TargetLimits } from '../src/target-limiter.js';

let testRedis: TestRedis;
let keys: RedisKeys;
let store: RequestStore;
let otherWorker: RequestStore;

beforeAll(async () => {
  testRedis = await useTestRedis();
  keys = createRedisKeys(testRedis.prefix);
  store = new RequestStore({ redis: testRedis.connect(), keys, retentionSeconds: 3_600 });
  // A second connection stands for another worker process: the limits are shared through Redis.
  otherWorker = new RequestStore({ redis: testRedis.connect(), keys, retentionSeconds: 3_600 });
});
afterAll(() => testRedis.close());

async function requests(count: number): Promise<RequestSpec[]> {
  const now = Date.now();
  const specs = Array.from({ length: count }, () => ({
    requestId: randomUUID(),
    target: 'lab',
    ...lunRequest('lun'),
    createdAt: now,
    deadlineAt: now + 60_000,
    retryAmbiguous: false,
  }));
  await store.records.create(specs);
  return specs;
}

function step(target: string, limits: TargetLimits, leaseMs = 10_000): SubmissionRequest {
  const token = randomUUID();
  return {
    target,
    limits,
    leaseId: token,
    token,
    claimLeaseMs: 60_000,
    allowResubmit: false,
    submitLeaseMs: leaseMs,
  };
}

const verdicts = (starts: SubmissionStart[]) => starts.map((start) => start.verdict);

describe('per-target limits, taken by submissions.begin and released by the step that records the call', () => {
  it('grant at most maxConcurrent slots across workers, and free one when its call is recorded', async () => {
    const limits = { maxConcurrent: 3, maxPerSecond: 1_000 };
    const specs = await requests(8);
    const steps = specs.map(() => step('concurrency', limits));
    const starts = await Promise.all(
      specs.map((spec, index) =>
        (index % 2 ? store : otherWorker).submissions.begin(
          spec.requestId,
          steps[index] as SubmissionRequest,
        ),
      ),
    );
    expect(verdicts(starts).filter((verdict) => verdict === 'claimed')).toHaveLength(3);
    expect(verdicts(starts).filter((verdict) => verdict === 'limited')).toHaveLength(5);
    const limited = starts.find((start) => start.verdict === 'limited');
    expect(limited?.ms).toBeGreaterThan(0);
    // A limited request was not claimed: it is still queued.
    const limitedIndex = starts.indexOf(limited as SubmissionStart);
    expect((await store.records.getState(specs[limitedIndex]?.requestId ?? ''))?.status).toBe('queued');

    const claimedIndex = starts.findIndex((start) => start.verdict === 'claimed');
    const claimed = steps[claimedIndex] as SubmissionRequest;
    await store.submissions.requeue(
      { requestId: specs[claimedIndex]?.requestId ?? '', target: 'concurrency' },
      claimed.token,
      {
        target: 'concurrency',
        leaseId: claimed.leaseId,
      },
    );
    const [retry, refused] = await requests(2);
    expect((await store.submissions.begin(retry?.requestId ?? '', step('concurrency', limits))).verdict).toBe(
      'claimed',
    );
    expect(
      (await store.submissions.begin(refused?.requestId ?? '', step('concurrency', limits))).verdict,
    ).toBe('limited');
  });

  it('limit calls started per second and say how long to wait', async () => {
    const limits = { maxConcurrent: 100, maxPerSecond: 5 };
    const specs = await requests(7);
    const starts: SubmissionStart[] = [];
    for (const spec of specs) {
      const request = step('rate', limits);
      const start = await store.submissions.begin(spec.requestId, request);
      if (start.verdict === 'claimed') {
        await store.submissions.requeue(spec, request.token, {
          target: 'rate',
          leaseId: request.leaseId,
        });
      }
      starts.push(start);
    }
    expect(verdicts(starts)).toEqual([
      'claimed',
      'claimed',
      'claimed',
      'claimed',
      'claimed',
      'limited',
      'limited',
    ]);
    expect(starts[5]?.ms).toBeGreaterThan(0);
    expect(starts[5]?.ms).toBeLessThanOrEqual(1_000);
  });

  it('let the lease of a worker that died mid-call expire', async () => {
    const limits = { maxConcurrent: 1, maxPerSecond: 1_000 };
    const [dead, next] = await requests(2);
    // A lease of a minute holds the slot however slow the machine; the test then ends that minute itself.
    const deadStep = step('expiry', limits, 60_000);
    expect((await store.submissions.begin(dead?.requestId ?? '', deadStep)).verdict).toBe('claimed');
    expect((await otherWorker.submissions.begin(next?.requestId ?? '', step('expiry', limits))).verdict).toBe(
      'limited',
    );
    // The lease's expiry (Redis time) moved to the past, as if the worker had died a minute ago.
    const redis = testRedis.connect();
    expect(await redis.zadd(keys.targetInFlight('expiry'), 'XX', 'CH', 0, deadStep.leaseId)).toBe(1);
    expect((await otherWorker.submissions.begin(next?.requestId ?? '', step('expiry', limits))).verdict).toBe(
      'claimed',
    );
  });

  it('allow fractional rates by widening the window', async () => {
    const limits = { maxConcurrent: 10, maxPerSecond: 0.5 };
    const [first, second] = await requests(2);
    expect((await store.submissions.begin(first?.requestId ?? '', step('slow', limits))).verdict).toBe(
      'claimed',
    );
    const refused = await store.submissions.begin(second?.requestId ?? '', step('slow', limits));
    expect(refused.verdict).toBe('limited');
    expect(refused.ms).toBeGreaterThan(1_000);
  });
});
