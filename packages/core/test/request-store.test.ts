import { randomUUID } from 'node:crypto';
import {
  type AiqumJobsEvent,
  createRedisKeys,
  eventSchema,
  eventStreamField,
  type RedisKeys,
  type RequestSpec,
} from '@aiqum-jobs/contracts';
import { lunRequest, readEvents, redisTimeMs, type TestRedis, useTestRedis } from '@aiqum-jobs/test-support';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestStore } from '../src/index.js';
import type { SubmissionRequest } from '../src/submissions.js';

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

function spec(overrides: Partial<RequestSpec> = {}): RequestSpec {
  const now = Date.now();
  return {
    requestId: randomUUID(),
    target: 'lab',
    ...lunRequest('lun1'),
    createdAt: now,
    deadlineAt: now + 60_000,
    retryAmbiguous: false,
    ...overrides,
  };
}

function events(): Promise<AiqumJobsEvent[]> {
  return readEvents(redis, { key: keys.events, field: eventStreamField, schema: eventSchema });
}

const roomy = { maxConcurrent: 1_000, maxPerSecond: 100_000 };
/** A step of worker `token` on target `lab`, limits out of the way unless a test sets them. */
const claim = (token: string, overrides: Partial<SubmissionRequest> = {}): SubmissionRequest => ({
  target: 'lab',
  limits: roomy,
  leaseId: `lease-${token}`,
  token,
  claimLeaseMs: 60_000,
  allowResubmit: false,
  submitLeaseMs: 60_000,
  ...overrides,
});

/** The call slot of a poll in these tests (on a target whose limits nothing else uses). */
const pollSlot = { target: 'polls', leaseId: 'poll-lease' };

const ontapJob = {
  kind: 'ontap' as const,
  uuid: 'c0ffee00-0000-4000-8000-000000000001',
  href: '/api/gateways/1/cluster/jobs/c0ffee00-0000-4000-8000-000000000001',
  source: 'job.uuid' as const,
};

describe('RequestStore', () => {
  it('walks a request through queued → submitting → tracking → completed with one event per step', async () => {
    await redis.del(keys.events);
    const request = spec({ metadata: { ticket: 'CHG-1' } });
    await store.records.create([request]);
    expect(await store.records.get(request.requestId)).toMatchObject({
      status: 'queued',
      polls: 0,
      submitAttempts: 0,
    });

    expect(await store.submissions.begin(request.requestId, claim('a'))).toEqual({
      now: expect.any(Number),
      verdict: 'claimed',
      submitAttempts: 1,
      ms: 0,
      state: {},
    });
    // A second worker cannot take the same submission while the first one's lease lasts.
    const second = await store.submissions.begin(request.requestId, claim('b'));
    expect(second).toMatchObject({ verdict: 'busy', submitAttempts: 1 });
    expect(second.ms).toBeGreaterThan(0);
    expect(second.ms).toBeLessThanOrEqual(60_000);

    const firstPoll = { delayMs: 0, deadlineAt: request.deadlineAt };
    expect(await store.submissions.acceptJob(request, ontapJob, 'b', undefined, firstPoll)).toBe(
      'not-holder',
    );
    const beforeAccept = await redisTimeMs(redis);
    expect(await store.submissions.acceptJob(request, ontapJob, 'a', undefined, firstPoll)).toBe('tracking');
    const afterAccept = await redisTimeMs(redis);
    // Accepted at Redis's time, not the caller's.
    const submittedAt = Number(await redis.hget(keys.request(request.requestId), 'submittedAt'));
    expect(submittedAt).toBeGreaterThanOrEqual(beforeAccept);
    expect(submittedAt).toBeLessThanOrEqual(afterAccept);
    expect(
      await store.schedule.recordPoll(
        request.requestId,
        { phase: 'running', state: 'running' },
        'ontap',
        pollSlot,
        {
          delayMs: 60_000,
          deadlineAt: request.deadlineAt,
        },
      ),
    ).toEqual({
      status: 'tracking',
      polls: 1,
    });
    const result = await store.completion.complete(
      request,
      { job: ontapJob, dialect: 'ontap', submittedAt },
      {
        outcome: 'succeeded',
        jobState: { phase: 'terminal', state: 'success', outcome: 'NORMAL' },
        jobResults: [{ name: 'volumeKey', value: 'v1' }],
      },
    );
    expect(result).toBe('completed');

    const view = await store.records.get(request.requestId);
    expect(view).toMatchObject({
      status: 'completed',
      outcome: 'succeeded',
      job: ontapJob,
      dialect: 'ontap',
      polls: 1,
      submittedAt,
      jobResults: [{ name: 'volumeKey', value: 'v1' }],
      metadata: { ticket: 'CHG-1' },
    });
    expect(await redis.ttl(keys.request(request.requestId))).toBeLessThanOrEqual(3600);

    const written = await events();
    expect(written.map((event) => event.type)).toEqual(['request.accepted', 'request.completed']);
    expect(written[1]).toMatchObject({
      id: `${request.requestId}:completed`,
      outcome: 'succeeded',
      polls: 1,
      metadata: { ticket: 'CHG-1' },
      jobResults: [{ name: 'volumeKey', value: 'v1' }],
    });
  });

  it('completes a request exactly once when many callers race', async () => {
    await redis.del(keys.events);
    const request = spec();
    await store.records.create([request]);
    const outcomes = ['succeeded', 'failed', 'cancelled', 'unknown', 'timed_out'] as const;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        store.completion.complete(request, {}, { outcome: outcomes[index % outcomes.length] ?? 'unknown' }),
      ),
    );
    expect(results.filter((result) => result === 'completed')).toHaveLength(1);
    expect(results.filter((result) => result === 'already-completed')).toHaveLength(19);
    const completed = (await events()).filter((event) => event.type === 'request.completed');
    expect(completed).toHaveLength(1);
    expect((await store.records.get(request.requestId))?.outcome).toBe(
      completed[0]?.type === 'request.completed' ? completed[0].outcome : 'x',
    );
  });

  it('counts a batch and emits batch.completed once, after its last request', async () => {
    await redis.del(keys.events);
    const batchId = randomUUID();
    const requests = [spec({ batchId }), spec({ batchId }), spec({ batchId })];
    await store.records.create(requests, { batchId, metadata: { change: 'CHG-9' } });
    expect(await store.records.getBatch(batchId)).toMatchObject({
      total: 3,
      done: false,
      byStatus: { pending: 3, tracking: 0, completed: 0 },
    });
    expect(await store.records.listBatchRequestIds(batchId, 1, 2)).toEqual([
      requests[1]?.requestId,
      requests[2]?.requestId,
    ]);

    const [first, second, third] = requests as [RequestSpec, RequestSpec, RequestSpec];
    await store.submissions.begin(first.requestId, claim('a'));
    await store.submissions.acceptJob(first, ontapJob, 'a', undefined, {
      delayMs: 0,
      deadlineAt: first.deadlineAt,
    });
    expect((await store.records.getBatch(batchId))?.byStatus).toEqual({
      waiting: 0,
      pending: 2,
      tracking: 1,
      completed: 0,
    });

    await store.completion.complete(first, { job: ontapJob }, { outcome: 'succeeded' });
    await store.completion.complete(
      second,
      {},
      { outcome: 'failed', error: { code: 'AIQUM_BAD_REQUEST', message: 'no', httpStatus: 400 } },
    );
    expect((await events()).filter((event) => event.type === 'batch.completed')).toHaveLength(0);
    await Promise.all([
      store.completion.complete(third, {}, { outcome: 'unknown' }),
      store.completion.complete(third, {}, { outcome: 'unknown' }),
    ]);

    const batchEvents = (await events()).filter((event) => event.type === 'batch.completed');
    expect(batchEvents).toHaveLength(1);
    expect(batchEvents[0]).toMatchObject({
      id: `${batchId}:completed`,
      batchId,
      total: 3,
      counts: {
        succeeded: 1,
        failed: 1,
        unknown: 1,
        warning: 0,
        partial_failure: 0,
        timed_out: 0,
        cancelled: 0,
      },
      metadata: { change: 'CHG-9' },
    });
    const batch = await store.records.getBatch(batchId);
    expect(batch).toMatchObject({ done: true, byStatus: { pending: 0, tracking: 0, completed: 3 } });
    expect(batch?.byOutcome).toMatchObject({ succeeded: 1, failed: 1, unknown: 1 });
  });

  it("writes when a request was accepted and finished on Redis's clock, whatever the caller's says", async () => {
    // A caller whose clock is an hour ahead.
    const skewed = new RequestStore({
      redis,
      keys,
      retentionSeconds: 3600,
      now: () => Date.now() + 3_600_000,
    });
    await redis.del(keys.events);
    const request = spec({ batchId: randomUUID() });
    await skewed.records.create([request], { batchId: request.batchId ?? '' });
    await skewed.submissions.begin(request.requestId, claim('a'));
    const before = await redisTimeMs(redis);
    await skewed.submissions.acceptJob(request, ontapJob, 'a', undefined, {
      delayMs: 0,
      deadlineAt: request.deadlineAt,
    });
    await skewed.completion.complete(request, {}, { outcome: 'succeeded' });
    const after = await redisTimeMs(redis);

    const view = await skewed.records.get(request.requestId);
    for (const at of [view?.submittedAt ?? 0, view?.finishedAt ?? 0]) {
      expect(at).toBeGreaterThanOrEqual(before);
      expect(at).toBeLessThanOrEqual(after);
    }
    const iso = (at: number | undefined) => new Date(at ?? 0).toISOString();
    const [accepted, completed, batchCompleted] = await events();
    expect(accepted).toMatchObject({ type: 'request.accepted', occurredAt: iso(view?.submittedAt) });
    expect(completed).toMatchObject({
      type: 'request.completed',
      occurredAt: iso(view?.finishedAt),
      finishedAt: iso(view?.finishedAt),
    });
    expect(batchCompleted).toMatchObject({
      type: 'batch.completed',
      occurredAt: iso(view?.finishedAt),
      finishedAt: iso(view?.finishedAt),
    });
  });

  it('requeues a submission only by its holder', async () => {
    const request = spec();
    await store.records.create([request]);
    expect(await store.submissions.requeue(request, 'a')).toBe('queued');
    await store.submissions.begin(request.requestId, claim('a'));
    expect(await store.submissions.requeue(request, 'b')).toBe('submitting');
    expect(await store.submissions.requeue(request, 'a')).toBe('queued');
    expect(await store.submissions.begin(request.requestId, claim('b'))).toMatchObject({
      verdict: 'claimed',
      submitAttempts: 2,
    });
  });

  it('treats a resent claim as the same claim', async () => {
    const request = spec();
    await store.records.create([request]);
    await store.submissions.begin(
      request.requestId,
      claim('a', { target: 'resend', limits: { maxConcurrent: 1, maxPerSecond: 1_000 } }),
    );
    // The same command again, as ioredis resends it after a reconnect: still claimed, counted once, even
    // though its own first run took the only slot.
    expect(
      await store.submissions.begin(
        request.requestId,
        claim('a', { target: 'resend', limits: { maxConcurrent: 1, maxPerSecond: 1_000 } }),
      ),
    ).toEqual({ verdict: 'claimed', submitAttempts: 1, ms: 0, now: expect.any(Number), state: {} });
  });

  it('reports a claim whose lease expired as interrupted, and lets a resubmittable request be claimed anew', async () => {
    const request = spec();
    await store.records.create([request]);
    await store.submissions.begin(request.requestId, claim('dead', { claimLeaseMs: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await store.submissions.begin(request.requestId, claim('b'))).toMatchObject({
      verdict: 'interrupted',
    });
    expect(await store.submissions.begin(request.requestId, claim('c', { allowResubmit: true }))).toEqual({
      now: expect.any(Number),
      verdict: 'claimed',
      submitAttempts: 2,
      ms: 0,
      state: {},
    });
    // The dead worker's late answer cannot take the request over.
    expect(
      await store.submissions.acceptJob(request, ontapJob, 'dead', undefined, {
        delayMs: 0,
        deadlineAt: request.deadlineAt,
      }),
    ).toBe('not-holder');
  });

  it('counts consecutive poll errors and resets them on a successful poll', async () => {
    const request = spec();
    await store.records.create([request]);
    expect(
      await store.schedule.recordPollError(request.requestId, pollSlot, {
        delayMs: 60_000,
        deadlineAt: request.deadlineAt,
      }),
    ).toEqual({
      status: 'queued',
      pollErrors: 0,
    });
    await store.submissions.begin(request.requestId, claim('a'));
    await store.submissions.acceptJob(request, ontapJob, 'a', undefined, {
      delayMs: 0,
      deadlineAt: request.deadlineAt,
    });
    expect(
      await store.schedule.recordPollError(request.requestId, pollSlot, {
        delayMs: 60_000,
        deadlineAt: request.deadlineAt,
      }),
    ).toEqual({
      status: 'tracking',
      pollErrors: 1,
    });
    expect(
      await store.schedule.recordPollError(request.requestId, pollSlot, {
        delayMs: 60_000,
        deadlineAt: request.deadlineAt,
      }),
    ).toEqual({
      status: 'tracking',
      pollErrors: 2,
    });
    await store.schedule.recordPoll(request.requestId, { phase: 'running' }, 'ontap', pollSlot, {
      delayMs: 60_000,
      deadlineAt: request.deadlineAt,
    });
    expect(
      await store.schedule.recordPollError(request.requestId, pollSlot, {
        delayMs: 60_000,
        deadlineAt: request.deadlineAt,
      }),
    ).toEqual({
      status: 'tracking',
      pollErrors: 1,
    });
  });

  it('refuses every transition of a completed or missing request', async () => {
    const request = spec();
    await store.records.create([request]);
    await store.completion.complete(request, {}, { outcome: 'cancelled' });
    expect(
      await store.submissions.begin(request.requestId, claim('a', { allowResubmit: true })),
    ).toMatchObject({
      verdict: 'completed',
    });
    expect(
      await store.submissions.acceptJob(request, ontapJob, 'a', undefined, {
        delayMs: 0,
        deadlineAt: request.deadlineAt,
      }),
    ).toBe('completed');
    expect(
      await store.schedule.recordPoll(request.requestId, { phase: 'running' }, 'ontap', pollSlot, {
        delayMs: 60_000,
        deadlineAt: request.deadlineAt,
      }),
    ).toMatchObject({
      status: 'completed',
    });
    const missing = spec();
    expect(await store.submissions.begin(missing.requestId, claim('a'))).toEqual({
      now: expect.any(Number),
      verdict: 'missing',
      submitAttempts: 0,
      ms: 0,
      state: {},
    });
    expect(await store.completion.complete(missing, {}, { outcome: 'failed' })).toBe('missing');
    expect(await store.records.get(missing.requestId)).toBeUndefined();
  });

  it('reads a request state without its spec', async () => {
    const request = spec();
    await store.records.create([request]);
    expect(await store.records.getState(request.requestId)).toEqual({ status: 'queued' });
    await store.submissions.begin(request.requestId, claim('a'));
    const beforeAccept = await redisTimeMs(redis);
    await store.submissions.acceptJob(request, ontapJob, 'a', undefined, {
      delayMs: 0,
      deadlineAt: request.deadlineAt,
    });
    const afterAccept = await redisTimeMs(redis);
    await store.schedule.recordPoll(
      request.requestId,
      { phase: 'running', state: 'running' },
      'ontap',
      pollSlot,
      {
        delayMs: 60_000,
        deadlineAt: request.deadlineAt,
      },
    );
    const state = await store.records.getState(request.requestId);
    expect(state).toEqual({
      status: 'tracking',
      job: ontapJob,
      dialect: 'ontap',
      jobState: { phase: 'running', state: 'running' },
      submittedAt: expect.any(Number),
    });
    expect(state?.submittedAt).toBeGreaterThanOrEqual(beforeAccept);
    expect(state?.submittedAt).toBeLessThanOrEqual(afterAccept);
    expect(await store.records.getState(spec().requestId)).toBeUndefined();
  });

  it('reads a record polled without a dialect (stored as an empty field) as one without a dialect', async () => {
    const request = spec({ target: 'dialectless' });
    const slot = { target: 'dialectless', leaseId: 'dialectless-lease' };
    await store.records.create([request]);
    await store.submissions.begin(request.requestId, claim('a', { target: 'dialectless' }));
    await store.submissions.acceptJob(request, ontapJob, 'a', undefined, {
      delayMs: 60_000,
      deadlineAt: request.deadlineAt,
    });
    await store.schedule.recordPoll(request.requestId, { phase: 'running' }, undefined, slot, {
      delayMs: 0,
      deadlineAt: request.deadlineAt,
    });
    expect(await redis.hget(keys.request(request.requestId), 'dialect')).toBe('');

    expect(await store.records.get(request.requestId)).not.toHaveProperty('dialect');
    expect(await store.records.getState(request.requestId)).toStrictEqual({
      status: 'tracking',
      job: ontapJob,
      jobState: { phase: 'running' },
      submittedAt: expect.any(Number),
    });
    const { claims } = await store.schedule.claim('dialectless', {
      limits: roomy,
      max: 1,
      claimMs: 60_000,
      leaseMs: 60_000,
      leaseIdPrefix: 'dialectless-claim',
    });
    expect(claims.map((claimed) => claimed.requestId)).toEqual([request.requestId]);
    expect(claims[0]?.record).toBeDefined();
    expect(claims[0]?.record).not.toHaveProperty('dialect');
  });

  it('keeps the request body out of the record: it travels in the queue job and is kept apart for retries', async () => {
    const request = spec({ body: { name: 'lun_with_a_body', space: { size: 1 } } });
    await store.records.create([request]);
    const stored = await redis.hget(keys.request(request.requestId), 'spec');
    expect(stored).not.toContain('lun_with_a_body');
    expect(await store.records.get(request.requestId)).toMatchObject({
      requestId: request.requestId,
      path: request.path,
    });
  });

  it('stores a batch of 10,000 requests in one step, in order', async () => {
    const batchId = randomUUID();
    const requests = Array.from({ length: 10_000 }, () => spec({ batchId }));
    await store.records.create(requests, { batchId });
    expect(await store.records.getBatch(batchId)).toMatchObject({
      total: 10_000,
      byStatus: { pending: 10_000 },
    });
    expect(await store.records.listBatchRequestIds(batchId, 9_998, 2)).toEqual([
      requests[9_998]?.requestId,
      requests[9_999]?.requestId,
    ]);
    expect((await store.records.get(requests[5_000]?.requestId ?? ''))?.status).toBe('queued');
    expect(await redis.ttl(keys.request(requests[0]?.requestId ?? ''))).toBeGreaterThan(3_600);
  });

  it('removes what create stored', async () => {
    const batchId = randomUUID();
    const requests = [spec({ batchId }), spec({ batchId })];
    await store.records.create(requests, { batchId });
    await store.records.remove(requests, batchId);
    expect(await store.records.getMany(requests.map((request) => request.requestId))).toEqual([
      undefined,
      undefined,
    ]);
    expect(await store.records.getBatch(batchId)).toBeUndefined();
  });

  it('keeps a body apart for retries, links a retry to its original, and undoes both on remove', async () => {
    const original = spec({ body: { name: 'lun_to_retry' } });
    await store.records.create([original]);
    const [read] = await store.records.getSpecs([original.requestId]);
    expect(read).toEqual(original);
    // A retry without a body (a GET): none read back, and not taken for a record whose body was not kept.
    const { body: _body, ...retry } = spec({ retryOf: original.requestId, method: 'GET' });
    await store.records.create([retry]);
    const [readRetry] = await store.records.getSpecs([retry.requestId]);
    expect(readRetry).toEqual(retry);
    expect(await store.records.retriesOf([original.requestId, retry.requestId])).toEqual([
      [retry.requestId],
      [],
    ]);
    // The list goes when the original's record does.
    const recordTtl = await redis.pttl(keys.request(original.requestId));
    expect(await redis.pttl(keys.requestRetries(original.requestId))).toBeLessThanOrEqual(recordTtl);
    await store.records.remove([original, retry]);
    expect(await store.records.retriesOf([original.requestId])).toEqual([[]]);
    expect(await store.records.getSpecs([original.requestId])).toEqual([undefined]);
    expect(await redis.exists(keys.requestBody(original.requestId))).toBe(0);
  });

  it('never trims the events stream as it appends: old entries wait for the trimmer', async () => {
    const ownKeys = createRedisKeys(`${testRedis.prefix}:untrimmed`);
    const ownStore = new RequestStore({ redis, keys: ownKeys, retentionSeconds: 60 });
    // Far more than one stream node of entries older than the retention, which a MINID ~ would drop.
    const oldMs = Date.now() - 3_600_000;
    const pipeline = redis.pipeline();
    for (let index = 0; index < 300; index += 1)
      pipeline.xadd(ownKeys.events, `${oldMs}-${index}`, 'event', '{}');
    await pipeline.exec();
    const request = spec();
    await ownStore.records.create([request]);
    expect(await ownStore.completion.complete(request, {}, { outcome: 'cancelled' })).toBe('completed');
    expect(await redis.xlen(ownKeys.events)).toBe(301);
  });
});
