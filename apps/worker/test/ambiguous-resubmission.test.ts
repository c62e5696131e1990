import { seedInventoryKeys } from '@aiqum-jobs/aiqum-simulator';
import { waitUntil } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byRequest, type Harness, startHarness } from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness([
    {
      name: 'lab',
      simulator: {
        seed: 9,
        // Every SVM change is carried out, then answered 502: the worker cannot know it took effect.
        scenario: {
          rules: [
            {
              match: { method: 'PATCH', path: '/api/datacenter/svm/svms/*' },
              faults: { afterProcessing: [{ status: 502, rate: 1 }] },
            },
          ],
        },
      },
    },
  ]);
  await h.startWorker();
});
afterAll(() => h.close());

describe('a submission that fails ambiguously', () => {
  it('is sent again with retryAmbiguous: true, and ends unknown SUBMISSION_AMBIGUOUS without it', async () => {
    const keys = seedInventoryKeys(9);
    const patch = (svm: string) => ({
      target: 'lab',
      method: 'PATCH' as const,
      path: `/api/datacenter/svm/svms/${encodeURIComponent(keys.svms[svm] ?? '')}`,
      // The same change twice is the same change: a call that is safe to repeat.
      body: { language: 'c.utf_8' },
      // The resubmission waits out a first delay of 2 s, long after the test has seen the first one.
      poll: { initialDelayMs: 2_000, maxDelayMs: 2_000 },
    });
    const [once, repeatable] = await h.enqueue([
      { ...patch('vs1'), retryAmbiguous: false },
      { ...patch('vs2'), retryAmbiguous: true },
    ]);
    if (!once || !repeatable) throw new Error('no specs');
    const simulator = h.simulators.get('lab');
    if (!simulator) throw new Error('no simulator');

    const first = await waitUntil(async () => {
      const submissions = simulator.stats().submissions;
      const ended = byRequest(await h.completed()).get(once.requestId);
      return submissions[repeatable.requestId] === 1 && ended;
    });
    expect(first).toMatchObject({ outcome: 'unknown', error: { code: 'SUBMISSION_AMBIGUOUS' } });
    // AIQUM answers the resubmission.
    simulator.setScenario({ rules: [] });

    const second = await waitUntil(async () => byRequest(await h.completed()).get(repeatable.requestId));
    expect(second).toMatchObject({
      outcome: 'succeeded',
      jobResults: [{ name: 'svmKey', value: keys.svms.vs2 }],
    });
    const stats = simulator.stats();
    expect(stats.submissions[once.requestId]).toBe(1);
    expect(stats.submissions[repeatable.requestId]).toBe(2);
    expect(stats.faults['502-after-processing']).toBe(2);
    expect((await h.completed()).filter((event) => event.requestId === repeatable.requestId)).toHaveLength(1);
  });
});
