import { lunRequest } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallBudget } from '../src/call-budget.js';
import { type Harness, startHarness } from './harness.js';

describe('CallBudget', () => {
  it('serves waiting submissions before anyone who takes without waiting, and tells listeners of free permits', async () => {
    const budget = new CallBudget(2);
    expect(budget.tryAcquire(5)).toBe(2);
    const order: string[] = [];
    const stop = budget.onFree(() => order.push('free'));
    const waiting = budget.acquire().then(() => order.push('submission'));
    budget.release();
    await waiting;
    // The freed permit went to the waiting submission: nothing was free for the listener.
    expect(order).toEqual(['submission']);
    expect(budget.available).toBe(0);
    budget.release(2);
    expect(order).toEqual(['submission', 'free']);
    expect(budget.available).toBe(2);
    stop();
    budget.release();
    expect(order).toEqual(['submission', 'free']);
  });
});

describe('WORKER_CONCURRENCY', () => {
  const targetNames = ['t1', 't2', 't3', 't4', 't5'];
  let h: Harness;

  beforeAll(async () => {
    // One AIQUM behind five targets, each allowing far more than the worker's 10: only the worker's own
    // budget can hold the calls at 10.
    h = await startHarness([
      {
        name: 'lab',
        simulator: {
          seed: 4,
          scenario: {
            rules: [
              { match: { method: 'POST' }, job: { durationMs: { min: 500, max: 1_500 } } },
              { match: { path: '/api/**' }, faults: { latencyMs: 150 } },
            ],
          },
        },
        target: { limits: { maxConcurrent: 50, maxPerSecond: 10_000 } },
      },
    ]);
    const lab = h.config.targets.get('lab');
    if (!lab) throw new Error('no target lab');
    const targets = new Map(targetNames.map((name) => [name, { ...lab, name }]));
    await h.startWorker({ concurrency: 10, targets });
  });
  afterAll(() => h.close());

  it('bounds the calls of submissions and of every target’s polls together (5 targets, concurrency 10)', async () => {
    const specs = await h.enqueue(
      Array.from({ length: 60 }, (_, index) => ({
        target: targetNames[index % targetNames.length] ?? 't1',
        ...lunRequest(`budget_${index}`, { seed: 4 }),
      })),
    );
    const completed = await h.waitForCompleted(specs.length, 60_000);
    expect(completed.map((event) => event.outcome)).toEqual(specs.map(() => 'succeeded'));
    // Never more than the budget, and the budget was reached: there was concurrency to bound.
    expect(h.simulators.get('lab')?.stats().peakConcurrentRequests).toBe(10);
  });
});
