import { describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.js';
import { call, jobKeyOf, lunBody, obj } from './helpers.js';

const jobPath = (key: string, query = ''): string =>
  `/api/management-server/jobs/${encodeURIComponent(key)}${query}`;

/**
 * A job clock moved only by the test: a job runs until the test says otherwise, however slow the machine.
 * Any request settles the jobs due by then, which wakes the polls held on them.
 */
function testClock() {
  let now = Date.parse('2025-01-01T00:00:00Z');
  return {
    now: () => now,
    async advance(sim: Simulator, ms: number): Promise<void> {
      now += ms;
      await call(sim, 'GET', '/_sim/stats');
    },
  };
}

/**
 * Resolves once `count` polls of the job have reached the simulator. It counts a poll and starts holding
 * it in one synchronous step, so a poll counted here and not answered yet is held.
 */
async function pollsArrived(sim: Simulator, key: string, count: number): Promise<void> {
  while ((sim.stats().polls[key] ?? 0) < count) await new Promise((resolve) => setImmediate(resolve));
}

// A poll held when it should not be (or not woken) waits up to 120 s: the test's timeout fails it.
describe('long polling off (the default)', () => {
  it('answers at once: poll_timeout, last_modified and any other parameter change nothing', async () => {
    const clock = testClock();
    await using sim = await startSimulator({
      tls: false,
      now: clock.now,
      scenario: { rules: [{ job: { durationMs: 60_000 } }] },
    });
    const key = jobKeyOf(
      (await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody('lp0') })).body,
    );
    for (const query of ['?poll_timeout=120', '?poll_timeout=abc&last_modified=soon', '?wait_seconds=120']) {
      const polled = await call(sim, 'GET', jobPath(key, query));
      expect(polled.status).toBe(200);
      expect(obj(polled.body).state).toBe('running');
    }
  });
});

describe('long polling on (longPoll: true, Deploy style)', () => {
  it('answers as soon as the job ends, and at once without poll_timeout', async () => {
    const clock = testClock();
    await using sim = await startSimulator({
      tls: false,
      longPoll: true,
      now: clock.now,
      scenario: { rules: [{ job: { durationMs: 300 } }] },
    });
    const key = jobKeyOf(
      (await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody('lp1') })).body,
    );
    expect(obj((await call(sim, 'GET', jobPath(key))).body).state).toBe('running');
    const pending = call(sim, 'GET', jobPath(key, '?poll_timeout=120'));
    await pollsArrived(sim, key, 2);
    await clock.advance(sim, 300);
    // Held until the job ended: an answer given before the clock moved would say running.
    expect(obj((await pending).body)).toMatchObject({ state: 'completed', status: 'normal' });
    expect(sim.stats().polls[key]).toBe(2);
    // An ended job is answered at once.
    expect(obj((await call(sim, 'GET', jobPath(key, '?poll_timeout=120'))).body).state).toBe('completed');
  });

  it('answers with the running job after poll_timeout seconds', async () => {
    const clock = testClock();
    await using sim = await startSimulator({
      tls: false,
      longPoll: true,
      now: clock.now,
      scenario: { rules: [{ job: { durationMs: 60_000 } }] },
    });
    const key = jobKeyOf(
      (await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody('lp2') })).body,
    );
    const started = performance.now();
    const polled = await call(sim, 'GET', jobPath(key, '?poll_timeout=1'));
    // The wait is a real timer, never shorter than asked; the job cannot end while the clock stands still.
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    expect(polled.status).toBe(200);
    expect(obj(polled.body).state).toBe('running');
  });

  it('answers at once when the job changed after last_modified, and refuses bad parameters', async () => {
    const clock = testClock();
    await using sim = await startSimulator({
      tls: false,
      longPoll: true,
      now: clock.now,
      scenario: { rules: [{ job: { durationMs: 60_000 } }] },
    });
    const before = new Date(clock.now() - 60_000).toISOString();
    const key = jobKeyOf(
      (await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody('lp3') })).body,
    );
    // The job came into being after last_modified: that is a change, answered at once.
    const polled = await call(sim, 'GET', jobPath(key, `?poll_timeout=120&last_modified=${before}`));
    expect(obj(polled.body).state).toBe('running');

    for (const [query, target] of [
      ['?poll_timeout=0', 'poll_timeout'],
      ['?poll_timeout=121', 'poll_timeout'],
      ['?poll_timeout=1.5', 'poll_timeout'],
      ['?poll_timeout=soon', 'poll_timeout'],
      ['?poll_timeout=', 'poll_timeout'],
      ['?poll_timeout=5&last_modified=yesterday', 'last_modified'],
    ] as const) {
      const bad = await call(sim, 'GET', jobPath(key, query));
      expect(bad.status, query).toBe(400);
      expect(obj(obj(bad.body).error)).toMatchObject({ target, code: expect.any(String) });
    }
  });

  it('answers when the job starts aborting, then when it is aborted', async () => {
    const clock = testClock();
    await using sim = await startSimulator({
      tls: false,
      longPoll: true,
      now: clock.now,
      scenario: { rules: [{ job: { durationMs: 1_200, outcomes: { ABORTED: 1 } } }] },
    });
    const key = jobKeyOf(
      (await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody('lp4') })).body,
    );
    const aborting = call(sim, 'GET', jobPath(key, '?poll_timeout=120'));
    await pollsArrived(sim, key, 1);
    // The abort starts halfway through the run: this poll ends there, not at the job's end.
    await clock.advance(sim, 600);
    expect(obj((await aborting).body)).toMatchObject({ state: 'aborting', status: 'normal' });
    const seen = new Date(clock.now()).toISOString();
    const aborted = call(sim, 'GET', jobPath(key, `?poll_timeout=120&last_modified=${seen}`));
    await pollsArrived(sim, key, 2);
    await clock.advance(sim, 600);
    expect(obj((await aborted).body)).toMatchObject({ state: 'aborted', status: 'error' });
  });

  it('answers pending long polls promptly when the simulator closes', async () => {
    const clock = testClock();
    const sim = await startSimulator({
      tls: false,
      longPoll: true,
      now: clock.now,
      scenario: { rules: [{ job: { durationMs: 60_000 } }] },
    });
    const key = jobKeyOf(
      (await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody('lp5') })).body,
    );
    const pending = call(sim, 'GET', jobPath(key, '?poll_timeout=120'));
    await pollsArrived(sim, key, 1);
    await sim.close();
    const polled = await pending;
    expect(obj(polled.body).state).toBe('running');
  });
});
