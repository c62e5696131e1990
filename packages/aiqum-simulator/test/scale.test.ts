import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { startSimulator } from '../src/index.js';
import { basicAuth, lunBody } from './helpers.js';

const jobCount = 20_000;

describe('scale', () => {
  it('holds 20,000 live jobs without a timer per job, and settles them all', {
    timeout: 120_000,
  }, async () => {
    let now = Date.now();
    await using sim = await startSimulator({
      tls: false,
      now: () => now,
      scenario: { rules: [{ job: { durationMs: { min: 30_000, max: 60_000 } } }] },
    });
    const admin = sim.users[0];
    if (!admin) throw new Error('no user');
    const dispatcher = new Agent({ connections: 32 });
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const body = JSON.stringify(lunBody('bulk'));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < jobCount) {
        next++;
        const res = await request(`${sim.url}/api/storage-provider/luns`, {
          method: 'POST',
          headers: { authorization: basicAuth(admin), 'content-type': 'application/json' },
          body,
          dispatcher,
        });
        await res.body.dump();
        expect(res.statusCode).toBe(202);
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));

    expect(sim.stats().jobs).toMatchObject({ total: jobCount, byState: { RUNNING: jobCount } });
    const timersAfter = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(timersAfter - timersBefore).toBeLessThanOrEqual(2);

    now += 60_001;
    const res = await request(
      `${sim.url}/api/management-server/jobs?state=completed&status=normal&max_records=1`,
      {
        headers: { authorization: basicAuth(admin) },
        dispatcher,
      },
    );
    const page = (await res.body.json()) as { total_records: number };
    // Same name everywhere: the first job creates the LUN, every later one fails as a duplicate.
    expect(page.total_records).toBe(1);
    expect(sim.stats().jobs.byState).toMatchObject({ RUNNING: 0, NORMAL: 1, ERROR: jobCount - 1 });
    await dispatcher.close();
  });
});
