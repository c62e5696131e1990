import { describe, expect, it } from 'vitest';
import { startSimulator } from '../src/index.js';
import { call, jobKeyOf, lunBody, obj } from './helpers.js';

const jobPath = (key: string, query = ''): string =>
  `/api/management-server/jobs/${encodeURIComponent(key)}${query}`;

describe('long polling', () => {
  it('answers at once without the parameter, and as soon as the job ends with it', async () => {
    await using sim = await startSimulator({
      tls: false,
      scenario: { rules: [{ job: { durationMs: 300 } }] },
    });
    const key = jobKeyOf(
      (await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody('lp1') })).body,
    );
    expect(obj((await call(sim, 'GET', jobPath(key))).body).state).toBe('RUNNING');
    const started = Date.now();
    const polled = await call(sim, 'GET', jobPath(key, '?wait_seconds=15'));
    expect(obj(polled.body).state).toBe('NORMAL');
    // Far less than the 15 s asked for: the answer came from the job's end, not from the wait running out.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(sim.stats().polls[key]).toBe(2);
  });

  it('answers with the running job after N seconds, capped at longPollMaxSeconds', async () => {
    await using sim = await startSimulator({
      tls: false,
      longPollParam: 'max_wait',
      longPollMaxSeconds: 1,
      scenario: { rules: [{ job: { durationMs: 60_000 } }] },
    });
    const key = jobKeyOf(
      (await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody('lp2') })).body,
    );
    const started = Date.now();
    const polled = await call(sim, 'GET', jobPath(key, '?max_wait=30'));
    const waited = Date.now() - started;
    expect(polled.status).toBe(200);
    expect(obj(polled.body).state).toBe('RUNNING');
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(20_000);
    const bad = await call(sim, 'GET', jobPath(key, '?max_wait=soon'));
    expect(bad.status).toBe(400);
    expect(obj(obj(bad.body).error).target).toBe('max_wait');
  });

  it('answers pending long polls promptly when the simulator closes', async () => {
    const sim = await startSimulator({ tls: false, scenario: { rules: [{ job: { durationMs: 60_000 } }] } });
    const key = jobKeyOf(
      (await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody('lp3') })).body,
    );
    const pending = call(sim, 'GET', jobPath(key, '?wait_seconds=60'));
    // Close only once the poll is being held, which the stats show.
    while (sim.stats().polls[key] !== 1) await new Promise((resolve) => setImmediate(resolve));
    await sim.close();
    const polled = await pending;
    expect(obj(polled.body).state).toBe('RUNNING');
  });
});
