import { createLogger } from '@aiqum-jobs/contracts';
import { logSink, lunRequest } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
/** What the `rate` simulator logged: a debug line per request it answered. */
const rateLog = logSink();

/** When the `rate` simulator answered each call, epoch ms. */
const rateCalls = (): number[] =>
  rateLog
    .lines()
    .flatMap((line) => (line.msg === 'request' && typeof line.time === 'number' ? [line.time] : []));

beforeAll(async () => {
  h = await startHarness([
    {
      name: 'small',
      simulator: {
        seed: 5,
        scenario: {
          rules: [
            { match: { method: 'POST' }, job: { durationMs: 300 } },
            { match: { path: '/api/**' }, faults: { latencyMs: 100 } },
          ],
        },
      },
      target: { limits: { maxConcurrent: 2, maxPerSecond: 1_000 } },
    },
    {
      name: 'rate',
      simulator: {
        seed: 5,
        scenario: { rules: [{ match: { method: 'POST' }, job: { durationMs: 200 } }] },
        logger: createLogger({ name: 'rate-simulator', level: 'debug', destination: rateLog.destination }),
      },
      target: { limits: { maxConcurrent: 20, maxPerSecond: 5 } },
    },
  ]);
  // Two workers with many slots each: only the shared limit can keep AIQUM at two calls at once.
  await h.startWorker({ concurrency: 25 });
  await h.startWorker({ concurrency: 25 });
});
afterAll(() => h.close());

/** The most calls of `times` (sorted) inside any window of `windowMs` (from a call on). */
function mostInWindow(times: readonly number[], windowMs: number): number {
  let most = 0;
  for (let first = 0, last = 0; first < times.length; first += 1) {
    while (last < times.length && (times[last] ?? 0) - (times[first] ?? 0) < windowMs) last += 1;
    most = Math.max(most, last - first);
  }
  return most;
}

describe('per-target limits', () => {
  it('hold across workers: the simulator never sees more concurrent calls than the limit', async () => {
    const specs = await h.enqueue(
      Array.from({ length: 30 }, (_, index) => ({
        target: 'small',
        ...lunRequest(`limit_lun_${index}`, { seed: 5 }),
      })),
    );
    const completed = await h.waitForCompleted(specs.length, 60_000);
    expect(completed.every((event) => event.outcome === 'succeeded')).toBe(true);
    const stats = h.simulators.get('small')?.stats();
    // Never more than the limit, and the limit reached: there were concurrent calls to hold back.
    expect(stats?.peakConcurrentRequests).toBe(2);
    expect(Object.keys(stats?.submissions ?? {})).toHaveLength(30);
  });

  it('hold across workers: the simulator never sees more calls in a second than maxPerSecond', async () => {
    const before = (await h.completed()).length;
    // Writes (a submission and polls each) and reads (one call each): at 5 a second, several seconds of work.
    const specs = await h.enqueue([
      ...Array.from({ length: 8 }, (_, index) => ({
        target: 'rate',
        ...lunRequest(`rate_lun_${index}`, { seed: 5 }),
      })),
      ...Array.from({ length: 8 }, (_, index) => ({
        target: 'rate',
        method: 'GET' as const,
        path: `/api/datacenter/svm/svms?name=vs${index}`,
      })),
    ]);
    const completed = await h.waitForCompleted(before + specs.length, 60_000);
    expect(completed.slice(before).every((event) => event.outcome === 'succeeded')).toBe(true);
    const times = rateCalls().sort((a, b) => a - b);
    expect(times.length).toBeGreaterThanOrEqual(24);
    // The limiter counts on Redis's clock when a call starts; the simulator logs on its own when it has
    // answered. Each call's way from one to the other varies by a few milliseconds (more on a busy
    // machine): 100 are allowed for it. Never more calls than the limit, and the limit was reached.
    expect(mostInWindow(times, 1_000 - 100)).toBe(5);
  });
});
