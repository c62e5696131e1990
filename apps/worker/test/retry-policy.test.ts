import {
  type RequestCompletedEvent,
  type RetryPolicyInput,
  requestEndings,
  retryPolicySchema,
} from '@aiqum-jobs/contracts';
import { lunRequest, metricValue, parseMetricSamples, waitUntil } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AiqumWorker } from '../src/index.js';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
let worker: AiqumWorker;

/** A job that fails this many times (each prefix its own rule: `times` counts the rule's matches). */
const failingFirst = (prefix: string, times: number) => ({
  match: { method: 'POST', body: { name: `${prefix}*` } },
  times,
  job: { durationMs: 50, outcomes: { ERROR: 1 }, message: 'aggregate aggr1 is busy' },
});

beforeAll(async () => {
  h = await startHarness([
    {
      name: 'lab',
      simulator: {
        scenario: {
          rules: [
            failingFirst('twice_', 2),
            failingFirst('always_', 100),
            failingFirst('cancel_', 100),
            {
              match: { method: 'POST', body: { name: 'part_*' } },
              job: { durationMs: 50, outcomes: { PARTIAL_FAILURES: 1 } },
            },
            { match: { method: 'POST' }, job: { durationMs: 50 } },
          ],
        },
      },
    },
  ]);
  worker = await h.startWorker();
});
afterAll(() => h.close());

const policy = (input: RetryPolicyInput) => retryPolicySchema.parse(input);
/** Short waits between attempts, so that the tests take little time. */
const quickBackoff = { initialDelayMs: 100, multiplier: 2, maxDelayMs: 400 };

async function completedOf(requestId: string): Promise<RequestCompletedEvent> {
  return waitUntil(async () => (await h.completed()).find((event) => event.requestId === requestId), {
    timeoutMs: 20_000,
    what: `request.completed of ${requestId}`,
  });
}

describe('a retry policy set at submit time', () => {
  it('submits a job that failed twice again, and ends succeeded with the 3 attempts in the record and the event', async () => {
    const [spec] = await h.enqueue([
      { target: 'lab', ...lunRequest('twice_1'), retry: policy({ maxAttempts: 3, backoff: quickBackoff }) },
    ]);
    if (!spec) throw new Error('nothing enqueued');
    const completed = await completedOf(spec.requestId);
    expect(completed.outcome).toBe('succeeded');
    expect(completed.attempts?.map((attempt) => [attempt.number, attempt.outcome])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'succeeded'],
    ]);
    const [first, second, third] = completed.attempts ?? [];
    expect(first?.error).toMatchObject({ code: 'AIQUM_JOB_ERROR', message: 'aggregate aggr1 is busy' });
    // Each attempt is a submission of its own: a new AIQUM job each time.
    const jobKeys = new Set(completed.attempts?.map((attempt) => attempt.job?.href));
    expect(jobKeys.size).toBe(3);
    expect(completed.job?.href).toBe(third?.job?.href);
    expect(third?.jobResults.length).toBeGreaterThan(0);
    expect(completed.jobResults).toEqual(third?.jobResults);
    // Attempts follow one another, the backoff between them (less its downward jitter of at most 20 %).
    expect(first?.startedAt).toBe(completed.createdAt);
    for (const [earlier, later] of [
      [first, second],
      [second, third],
    ]) {
      const waitedMs = Date.parse(String(later?.startedAt)) - Date.parse(String(earlier?.finishedAt));
      expect(waitedMs).toBeGreaterThanOrEqual(80);
    }
    const record = await h.store.records.get(spec.requestId);
    expect(record).toMatchObject({ status: 'completed', outcome: 'succeeded', attempt: 3 });
    expect(record?.attempts).toEqual(completed.attempts);
    // One request.accepted per attempt, each with its own id; one request.completed in all.
    const events = (await h.events()).filter(
      (event) => 'requestId' in event && event.requestId === spec.requestId,
    );
    expect(events.filter((event) => event.type === 'request.accepted').map((event) => event.id)).toEqual([
      `${spec.requestId}:accepted`,
      `${spec.requestId}:accepted:2`,
      `${spec.requestId}:accepted:3`,
    ]);
    expect(events.filter((event) => event.type === 'request.completed')).toHaveLength(1);
    const simulator = h.simulators.get('lab');
    const jobs = await fetch(`${simulator?.url}/_sim/jobs?correlation_id=${spec.requestId}`, {
      headers: { authorization: `Basic ${Buffer.from('admin:admin123').toString('base64')}` },
    });
    const truth = (await jobs.json()) as { records: Array<{ outcome: string }> };
    expect(truth.records.map((job) => job.outcome)).toEqual(['ERROR', 'ERROR', 'NORMAL']);
  });

  it('ends failed with every attempt once maxAttempts is used up', async () => {
    const [spec] = await h.enqueue([
      { target: 'lab', ...lunRequest('always_1'), retry: policy({ maxAttempts: 2, backoff: quickBackoff }) },
    ]);
    if (!spec) throw new Error('nothing enqueued');
    const completed = await completedOf(spec.requestId);
    expect(completed.outcome).toBe('failed');
    expect(completed.error?.code).toBe('AIQUM_JOB_ERROR');
    expect(completed.attempts?.map((attempt) => [attempt.number, attempt.outcome])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
    ]);
  });

  it('does not retry an outcome the policy does not list, nor an error that is the caller’s', async () => {
    const retry = policy({ backoff: quickBackoff });
    const [partial, refused] = await h.enqueue([
      { target: 'lab', ...lunRequest('part_1'), retry },
      // AIQUM refuses a LUN without size (400): the same call would be refused again.
      { target: 'lab', method: 'POST', path: '/api/storage-provider/luns', body: { name: 'bad' }, retry },
    ]);
    if (!partial || !refused) throw new Error('nothing enqueued');
    const partialEnd = await completedOf(partial.requestId);
    expect(partialEnd.outcome).toBe('partial_failure');
    expect(partialEnd.attempts?.map((attempt) => attempt.outcome)).toEqual(['partial_failure']);
    const refusedEnd = await completedOf(refused.requestId);
    expect(refusedEnd.outcome).toBe('failed');
    expect(refusedEnd.error?.httpStatus).toBe(400);
    expect(refusedEnd.attempts?.map((attempt) => attempt.outcome)).toEqual(['failed']);
  });

  it('does not start an attempt that would begin after the deadline', async () => {
    const [spec] = await h.enqueue([
      {
        target: 'lab',
        ...lunRequest('always_2'),
        deadlineAt: Date.now() + 5_000,
        retry: policy({ maxAttempts: 5, backoff: { initialDelayMs: 10_000, maxDelayMs: 10_000 } }),
      },
    ]);
    if (!spec) throw new Error('nothing enqueued');
    const completed = await completedOf(spec.requestId);
    expect(completed.outcome).toBe('failed');
    expect(completed.attempts?.map((attempt) => attempt.outcome)).toEqual(['failed']);
  });

  it('ends cancelled at once when cancelled between attempts, and starts no other attempt', async () => {
    const [spec] = await h.enqueue([
      {
        target: 'lab',
        ...lunRequest('cancel_1'),
        retry: policy({ maxAttempts: 3, backoff: { initialDelayMs: 1_000, maxDelayMs: 1_000 } }),
      },
    ]);
    if (!spec) throw new Error('nothing enqueued');
    const waiting = await waitUntil(
      async () => {
        const record = await h.store.records.get(spec.requestId);
        return record?.status === 'queued' && record.attempt === 2 ? record : undefined;
      },
      { what: 'the request waiting for its second attempt' },
    );
    expect(waiting.attempts?.map((attempt) => attempt.outcome)).toEqual(['failed']);
    // What the producer's cancel does.
    const result = await h.store.completion.complete(
      waiting,
      { job: waiting.job, dialect: waiting.dialect, submittedAt: waiting.submittedAt },
      requestEndings.cancelled(),
    );
    expect(result).toBe('completed');
    const completed = await completedOf(spec.requestId);
    expect(completed.outcome).toBe('cancelled');
    // No attempt was under way: the one that failed is the only one.
    expect(completed.attempts?.map((attempt) => attempt.outcome)).toEqual(['failed']);
    expect(await h.redis.zscore(h.keys.targetDue('lab'), spec.requestId)).toBeNull();
    // Past the backoff, no second submission reached AIQUM.
    const simulator = h.simulators.get('lab');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(simulator?.stats().submissions[spec.requestId]).toBe(1);
  });

  it('counts each automatic retry in the worker metrics', async () => {
    const samples = parseMetricSamples(await (await fetch(`${worker.healthUrl}/metrics`)).text());
    // twice_1: 2, always_1: 1, cancel_1: 1 (always_2's only attempt ended for good).
    expect(
      metricValue(samples, 'aiqum_jobs_attempts_retried_total', { outcome: 'failed', target: 'lab' }),
    ).toBe(4);
  });
});
