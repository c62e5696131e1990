import { afterEach, describe, expect, it } from 'vitest';
import { AiqumAbortError, AiqumJobWaitTimeoutError, type JobRef, type JobSnapshot } from '../src/index.js';
import { type Harness, harness, rejection } from './helpers.js';

const href = '/api/management-server/jobs/k%3A1';
const ref: JobRef = { kind: 'aiqum', key: 'k:1', href, source: 'job.key' };

let h: Harness;
let clock = 0;
afterEach(async () => {
  await h.finish();
});

/** A client whose sleep advances a fake clock instead of waiting, and rejects on abort as a real one. */
function clocked(): Harness {
  clock = 0;
  const built = harness({
    now: () => clock,
    random: () => 0,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      built.sleeps.push(ms);
      clock += ms;
    },
  });
  return built;
}

function states(...bodies: Array<Record<string, unknown>>): void {
  for (const body of bodies) h.pool.intercept({ path: href, method: 'GET' }).reply(200, body);
}

describe('waitForJob', () => {
  it('backs off exponentially up to maxDelayMs and reports every snapshot', async () => {
    h = clocked();
    states(
      { state: 'queued' },
      { state: 'running' },
      { state: 'running' },
      { state: 'running' },
      {
        state: 'completed',
        status: 'normal',
      },
    );
    const seen: JobSnapshot[] = [];
    const result = await h.client.waitForJob(ref, {
      initialDelayMs: 100,
      multiplier: 3,
      maxDelayMs: 1_000,
      onProgress: (snapshot) => seen.push(snapshot),
    });
    expect(result).toMatchObject({ phase: 'terminal', outcome: 'NORMAL' });
    expect(h.sleeps).toEqual([100, 300, 900, 1_000]);
    expect(seen.map((snapshot) => snapshot.state)).toEqual([
      'queued',
      'running',
      'running',
      'running',
      'completed',
    ]);
  });

  it('applies jitter downwards only, so maxDelayMs is never exceeded', async () => {
    clock = 0;
    h = harness({ random: () => 1, sleep: async (ms) => void h.sleeps.push(ms) });
    states({ state: 'running' }, { state: 'running' }, { state: 'NORMAL' });
    await h.client.waitForJob(ref, { initialDelayMs: 1_000, multiplier: 2, maxDelayMs: 1_500, jitter: 0.5 });
    expect(h.sleeps).toEqual([500, 750]);
  });

  it('waits at least the Retry-After of a poll', async () => {
    h = clocked();
    h.pool
      .intercept({ path: href, method: 'GET' })
      .reply(200, { state: 'running' }, { headers: { 'retry-after': '9' } });
    states({ state: 'NORMAL' });
    await h.client.waitForJob(ref, { initialDelayMs: 100 });
    expect(h.sleeps).toEqual([9_000]);
  });

  it('resolves with a gone snapshot when the job vanishes', async () => {
    h = clocked();
    states({ state: 'running' });
    h.pool.intercept({ path: href, method: 'GET' }).reply(404, {});
    await expect(h.client.waitForJob(ref, { initialDelayMs: 10 })).resolves.toMatchObject({ phase: 'gone' });
  });

  it('throws AiqumJobWaitTimeoutError with the last snapshot at the deadline, after a last poll', async () => {
    h = clocked();
    states({ state: 'queued' }, { state: 'running' }, { state: 'running', status: 'normal' });
    const error = await rejection(
      h.client.waitForJob(ref, { initialDelayMs: 1_000, multiplier: 2, deadlineMs: 2_500 }),
    );
    expect(error).toBeInstanceOf(AiqumJobWaitTimeoutError);
    expect(error).toMatchObject({
      code: 'AIQUM_JOB_WAIT_TIMEOUT',
      lastSnapshot: { phase: 'running', state: 'running', status: 'normal' },
    });
    // 1000, then 2000 cut to the 1500 left before the deadline.
    expect(h.sleeps).toEqual([1_000, 1_500]);
  });

  it('stops with AiqumAbortError when the signal aborts', async () => {
    h = clocked();
    const controller = new AbortController();
    states({ state: 'running' }, { state: 'running' });
    const error = await rejection(
      h.client.waitForJob(ref, {
        initialDelayMs: 10,
        signal: controller.signal,
        onProgress: (snapshot) => {
          if (snapshot.phase === 'running' && h.sleeps.length === 1) controller.abort();
        },
      }),
    );
    expect(error).toBeInstanceOf(AiqumAbortError);
    expect(h.sleeps).toHaveLength(1);
  });

  it('rejects an invalid policy', async () => {
    h = clocked();
    await expect(h.client.waitForJob(ref, { jitter: 2 })).rejects.toMatchObject({
      code: 'AIQUM_INVALID_REQUEST',
    });
  });
});
