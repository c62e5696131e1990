import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, lunBody, startHarness } from './harness.js';

let h: Harness;

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
  ]);
  // Two workers with many slots each: only the shared limit can keep AIQUM at two calls at once.
  await h.startWorker({ concurrency: 25 });
  await h.startWorker({ concurrency: 25 });
});
afterAll(() => h.close());

describe('per-target limits', () => {
  it('hold across workers: the simulator never sees more concurrent calls than the limit', async () => {
    const specs = await h.enqueue(
      Array.from({ length: 30 }, (_, index) => ({
        target: 'small',
        method: 'POST' as const,
        path: '/api/storage-provider/luns',
        body: lunBody(`limit_lun_${index}`, 5),
      })),
    );
    const completed = await h.waitForCompleted(specs.length, 60_000);
    expect(completed.every((event) => event.outcome === 'succeeded')).toBe(true);
    const stats = h.simulators.get('small')?.stats();
    // Never more than the limit, and the limit reached: there were concurrent calls to hold back.
    expect(stats?.peakConcurrentRequests).toBe(2);
    expect(Object.keys(stats?.submissions ?? {})).toHaveLength(30);
  });
});
