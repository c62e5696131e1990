import { lunRequest, waitUntil } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byRequest, type Harness, startHarness } from './harness.js';

/** Both targets poll every 200 ms, so the only difference between them is long polling. */
const everyTwoHundredMs = {
  initialDelayMs: 200,
  multiplier: 1,
  maxDelayMs: 200,
  jitter: 0,
  retryAfterMinMs: 100,
  retryAfterMaxMs: 2_000,
};

let h: Harness;

beforeAll(async () => {
  h = await startHarness([
    {
      name: 'interval',
      simulator: {
        seed: 3,
        scenario: { rules: [{ match: { method: 'POST' }, job: { durationMs: 1_500 } }] },
      },
      target: {
        poll: everyTwoHundredMs,
      },
    },
    {
      name: 'long',
      simulator: {
        seed: 4,
        longPoll: true,
        scenario: { rules: [{ match: { method: 'POST' }, job: { durationMs: 1_500 } }] },
      },
      target: {
        longPoll: { parameter: 'poll_timeout', lastModifiedParameter: 'last_modified', maxWaitSeconds: 10 },
        poll: everyTwoHundredMs,
      },
    },
  ]);
  await h.startWorker();
});
afterAll(() => h.close());

function jobKeyOf(event: { job?: { kind: string; key?: string } | undefined }): string {
  return event.job?.kind === 'aiqum' ? (event.job.key ?? '') : '';
}

describe('polling', () => {
  it('polls on an interval until the job ends', async () => {
    const [spec] = await h.enqueue([
      {
        target: 'interval',
        ...lunRequest('interval_lun', { seed: 3 }),
      },
    ]);
    const event = await waitUntil(async () => byRequest(await h.completed()).get(spec?.requestId ?? ''));
    expect(event.outcome).toBe('succeeded');
    // A 1.5 s job polled every 200 ms: several polls, each counted by the simulator.
    const polls = h.simulators.get('interval')?.stats().polls[jobKeyOf(event)] ?? 0;
    expect(polls).toBeGreaterThanOrEqual(4);
    expect(event.polls).toBe(polls);
  });

  it('with long polling, sees the end of a job in one GET', async () => {
    const [spec] = await h.enqueue([{ target: 'long', ...lunRequest('long_lun', { seed: 4 }) }]);
    const event = await waitUntil(async () => byRequest(await h.completed()).get(spec?.requestId ?? ''));
    expect(event.outcome).toBe('succeeded');
    expect(event.polls).toBe(1);
    expect(h.simulators.get('long')?.stats().polls[jobKeyOf(event)]).toBe(1);
  });

  it('honours Retry-After on polls answered 503, then finishes the request', async () => {
    const simulator = h.simulators.get('interval');
    if (!simulator) throw new Error('no simulator');
    simulator.setScenario({
      rules: [
        { match: { method: 'POST' }, job: { durationMs: 100 } },
        {
          match: { method: 'GET', path: '/api/management-server/jobs/**' },
          faults: { statuses: [{ status: 503, rate: 1, retryAfterSeconds: 1 }] },
        },
      ],
    });
    const [spec] = await h.enqueue([
      {
        target: 'interval',
        ...lunRequest('retry_after_lun', { seed: 3 }),
      },
    ]);
    await waitUntil(() => (simulator.stats().faults['503'] ?? 0) >= 2 || undefined, {
      what: 'two 503 answers',
    });
    const rejectedAt = Date.now();
    simulator.setScenario({ rules: [] });
    const event = await waitUntil(async () => byRequest(await h.completed()).get(spec?.requestId ?? ''));
    expect(event.outcome).toBe('succeeded');
    // The worker waited for Retry-After (1 s) rather than its 200 ms interval.
    expect(Date.now() - rejectedAt).toBeGreaterThan(300);
    const faults = simulator.stats().faults['503'] ?? 0;
    expect(faults).toBeLessThanOrEqual(3);
  });
});
