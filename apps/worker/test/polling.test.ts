import { lunRequest, waitUntil } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byRequest, type Harness, recordingDispatcher, startHarness } from './harness.js';

/** Both targets poll every 200 ms, so the only difference between them is long polling. */
const everyTwoHundredMs = {
  initialDelayMs: 200,
  multiplier: 1,
  maxDelayMs: 200,
  jitter: 0,
  retryAfterMinMs: 100,
  retryAfterMaxMs: 20_000,
};

let h: Harness;
/** When the worker sent each call to AIQUM. */
const calls = recordingDispatcher();
/** The interval simulator's clock runs with the wall clock until a test moves it on. */
let intervalSkewMs = 0;

beforeAll(async () => {
  h = await startHarness([
    {
      name: 'interval',
      simulator: {
        seed: 3,
        now: () => Date.now() + intervalSkewMs,
        scenario: { rules: [{ match: { method: 'POST' }, job: { durationMs: 3_600_000 } }] },
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
  await h.startWorker({}, { dispatcher: calls.dispatcher });
});
afterAll(() => h.close());

function jobKeyOf(event: { job?: { kind: string; key?: string } | undefined }): string {
  return event.job?.kind === 'aiqum' ? (event.job.key ?? '') : '';
}

/** How far a send time stamped by this process may sit from the Redis time its poll was due at. */
const clockReadingsMs = 10;

describe('polling', () => {
  it('polls on an interval until the job ends', async () => {
    const [spec] = await h.enqueue([
      {
        target: 'interval',
        ...lunRequest('interval_lun', { seed: 3 }),
      },
    ]);
    // The job runs for an hour, until the test has seen four polls of it; then the hour is over.
    await waitUntil(
      async () => ((await h.store.records.get(spec?.requestId ?? ''))?.polls ?? 0) >= 4 || undefined,
    );
    intervalSkewMs += 3_600_000;
    const event = await waitUntil(async () => byRequest(await h.completed()).get(spec?.requestId ?? ''));
    expect(event.outcome).toBe('succeeded');
    // Each poll counted by the simulator, and sent 200 ms or more after the one before: due times are on
    // Redis's clock, send times on this process's, stamped after the event loop let the call go (a poll sent
    // late makes the next gap look short), so they may differ by a few ms (CI once measured 199).
    const polls = h.simulators.get('interval')?.stats().polls[jobKeyOf(event)] ?? 0;
    expect(polls).toBeGreaterThanOrEqual(5);
    expect(event.polls).toBe(polls);
    const jobPath = `/api/management-server/jobs/${encodeURIComponent(jobKeyOf(event))}`;
    const sent = calls.sent.filter((call) => call.method === 'GET' && call.path === jobPath);
    expect(sent).toHaveLength(polls);
    for (const [index, poll] of sent.slice(1).entries()) {
      expect(poll.at - (sent[index]?.at ?? 0)).toBeGreaterThanOrEqual(200 - clockReadingsMs);
    }
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
    simulator.setScenario({ rules: [] });
    const event = await waitUntil(async () => byRequest(await h.completed()).get(spec?.requestId ?? ''));
    expect(event.outcome).toBe('succeeded');
    // The 100 ms job had long ended: every poll but the last was answered 503, and the next came
    // Retry-After (1 s) later, not at the 200 ms interval, give or take the worker's scheduling.
    const jobPath = `/api/management-server/jobs/${encodeURIComponent(jobKeyOf(event))}`;
    const polls = calls.sent.filter((call) => call.method === 'GET' && call.path === jobPath);
    expect(polls).toHaveLength((simulator.stats().faults['503'] ?? 0) + 1);
    const waits = polls.slice(1).map((poll, index) => poll.at - (polls[index]?.at ?? 0));
    for (const waitedMs of waits) {
      expect(waitedMs).toBeGreaterThanOrEqual(1_000);
      expect(waitedMs).toBeLessThan(1_000 + 10_000);
    }
  });
});
