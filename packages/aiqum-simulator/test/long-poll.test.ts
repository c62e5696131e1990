import { describe, expect, it } from 'vitest';
import { startSimulator } from '../src/index.js';
import { call, jobKeyOf, lunBody, obj } from './helpers.js';

const jobPath = (key: string, query = ''): string =>
  `/api/management-server/jobs/${encodeURIComponent(key)}${query}`;

describe('long polling off (the default)', () => {
  it('answers at once: poll_timeout, last_modified and any other parameter change nothing', async () => {
    await using sim = await startSimulator({
      tls: false,
      scenario: { rules: [{ job: { durationMs: 60_000 } }] },
    });
    const key = jobKeyOf(
      (await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody('lp0') })).body,
    );
    const started = Date.now();
    for (const query of ['?poll_timeout=30', '?poll_timeout=abc&last_modified=soon', '?wait_seconds=30']) {
      const polled = await call(sim, 'GET', jobPath(key, query));
      expect(polled.status).toBe(200);
      expect(obj(polled.body).state).toBe('running');
    }
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('long polling on (longPoll: true, Deploy style)', () => {
  it('answers as soon as the job ends, and at once without poll_timeout', async () => {
    await using sim = await startSimulator({
      tls: false,
      longPoll: true,
      scenario: { rules: [{ job: { durationMs: 300 } }] },
    });
    const key = jobKeyOf(
      (await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody('lp1') })).body,
    );
    expect(obj((await call(sim, 'GET', jobPath(key))).body).state).toBe('running');
    const started = Date.now();
    const polled = await call(sim, 'GET', jobPath(key, '?poll_timeout=15'));
    expect(obj(polled.body)).toMatchObject({ state: 'completed', status: 'normal' });
    // Far less than the 15 s asked for: the answer came from the job's end, not from the wait running out.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(sim.stats().polls[key]).toBe(2);
    // An ended job is answered at once.
    const again = Date.now();
    expect(obj((await call(sim, 'GET', jobPath(key, '?poll_timeout=120'))).body).state).toBe('completed');
    expect(Date.now() - again).toBeLessThan(1_000);
  });

  it('answers with the running job after poll_timeout seconds', async () => {
    await using sim = await startSimulator({
      tls: false,
      longPoll: true,
      scenario: { rules: [{ job: { durationMs: 60_000 } }] },
    });
    const key = jobKeyOf(
      (await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody('lp2') })).body,
    );
    const started = Date.now();
    const polled = await call(sim, 'GET', jobPath(key, '?poll_timeout=1'));
    const waited = Date.now() - started;
    expect(polled.status).toBe(200);
    expect(obj(polled.body).state).toBe('running');
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(20_000);
  });

  it('answers at once when the job changed after last_modified, and refuses bad parameters', async () => {
    await using sim = await startSimulator({
      tls: false,
      longPoll: true,
      scenario: { rules: [{ job: { durationMs: 60_000 } }] },
    });
    const before = new Date(Date.now() - 60_000).toISOString();
    const key = jobKeyOf(
      (await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody('lp3') })).body,
    );
    const started = Date.now();
    // The job came into being after last_modified: that is a change, answered at once.
    const polled = await call(sim, 'GET', jobPath(key, `?poll_timeout=30&last_modified=${before}`));
    expect(obj(polled.body).state).toBe('running');
    expect(Date.now() - started).toBeLessThan(5_000);

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
    await using sim = await startSimulator({
      tls: false,
      longPoll: true,
      scenario: { rules: [{ job: { durationMs: 1_200, outcomes: { ABORTED: 1 } } }] },
    });
    const submitted = Date.now();
    const key = jobKeyOf(
      (await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody('lp4') })).body,
    );
    const aborting = await call(sim, 'GET', jobPath(key, '?poll_timeout=30'));
    expect(obj(aborting.body)).toMatchObject({ state: 'aborting', status: 'normal' });
    // The abort starts halfway through the run: the answer came from that change, not from the end.
    expect(Date.now() - submitted).toBeGreaterThanOrEqual(500);
    const seen = new Date().toISOString();
    const aborted = await call(sim, 'GET', jobPath(key, `?poll_timeout=30&last_modified=${seen}`));
    expect(obj(aborted.body)).toMatchObject({ state: 'aborted', status: 'error' });
    expect(Date.now() - submitted).toBeGreaterThanOrEqual(1_100);
  });

  it('answers pending long polls promptly when the simulator closes', async () => {
    const sim = await startSimulator({
      tls: false,
      longPoll: true,
      scenario: { rules: [{ job: { durationMs: 60_000 } }] },
    });
    const key = jobKeyOf(
      (await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody('lp5') })).body,
    );
    const pending = call(sim, 'GET', jobPath(key, '?poll_timeout=60'));
    // Close only once the poll is being held, which the stats show.
    while (sim.stats().polls[key] !== 1) await new Promise((resolve) => setImmediate(resolve));
    await sim.close();
    const polled = await pending;
    expect(obj(polled.body).state).toBe('running');
  });
});
