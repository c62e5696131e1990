import { describe, expect, it } from 'vitest';
import { type ScenarioInput, type Simulator, startSimulator } from '../src/index.js';
import { basicAuth, call, jobKeyOf, keys, lunBody, obj, records, waitForJob } from './helpers.js';

const lunCount = async (sim: Simulator): Promise<number> =>
  records((await call(sim, 'GET', '/api/storage-provider/luns')).body).length;

describe('scenario faults', () => {
  it('answers 429 with Retry-After before processing: nothing is submitted', async () => {
    await using sim = await startSimulator({
      tls: false,
      scenario: {
        rules: [
          {
            match: { method: 'POST', path: '/api/storage-provider/luns' },
            faults: { statuses: [{ status: 429, rate: 1, retryAfterSeconds: 3 }] },
          },
        ],
      },
    });
    const before = await lunCount(sim);
    const answer = await call(sim, 'POST', '/api/v2/storage-provider/luns', {
      body: lunBody('limited'),
      headers: { 'x-correlation-id': 'corr-429' },
    });
    expect(answer.status).toBe(429);
    expect(answer.headers.get('retry-after')).toBe('3');
    expect(obj(answer.body).error).toMatchObject({ code: expect.anything() });
    const stats = sim.stats();
    expect(stats.submissions['corr-429']).toBeUndefined();
    expect(stats.faults['429']).toBe(1);
    expect(stats.jobs.total).toBe(0);
    expect(await lunCount(sim)).toBe(before);
  });

  it('answers 503 (with Retry-After) before processing: no job, no LUN', async () => {
    await using sim = await startSimulator({
      tls: false,
      scenario: { rules: [{ match: { method: 'POST' }, faults: { statuses: [{ status: 503, rate: 1 }] } }] },
    });
    const before = await lunCount(sim);
    const answer = await call(sim, 'POST', '/api/storage-provider/luns', {
      body: lunBody('overloaded'),
      headers: { 'x-correlation-id': 'corr-503' },
    });
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toEqual(expect.stringMatching(/^\d+$/));
    expect(obj((await call(sim, 'GET', '/_sim/jobs?correlation_id=corr-503')).body).records).toEqual([]);
    expect(await lunCount(sim)).toBe(before);
    expect(sim.stats().requests['POST /api/storage-provider/luns']).toEqual({ '503': 1 });
  });

  it('resets the connection AFTER processing: the write took effect, the client never heard', async () => {
    await using sim = await startSimulator({
      tls: false,
      scenario: { rules: [{ match: { method: 'POST' }, job: { durationMs: 20 }, faults: { resetRate: 1 } }] },
    });
    const admin = sim.users.find((u) => u.username === 'admin');
    if (!admin) throw new Error('no admin');
    await expect(
      fetch(`${sim.url}/api/storage-provider/luns`, {
        method: 'POST',
        headers: {
          authorization: basicAuth(admin),
          'content-type': 'application/json',
          'x-correlation-id': 'corr-reset',
        },
        body: JSON.stringify(lunBody('ambiguous')),
      }),
    ).rejects.toThrow();
    expect(sim.stats().submissions['corr-reset']).toBe(1);
    expect(sim.stats().faults.reset).toBe(1);
    const truth = records((await call(sim, 'GET', '/_sim/jobs?correlation_id=corr-reset')).body);
    expect(truth).toHaveLength(1);
    expect(truth[0]).toMatchObject({ processed: true, responseFault: 'reset', plannedOutcome: 'NORMAL' });
    const job = await waitForJob(sim, String(truth[0]?.id));
    expect(job).toMatchObject({ state: 'completed', status: 'normal' });
    expect(records((await call(sim, 'GET', '/api/storage-provider/luns?name=*ambiguous')).body)).toHaveLength(
      1,
    );
  });

  it('sends malformed and truncated JSON on request', async () => {
    await using sim = await startSimulator({
      tls: false,
      scenario: {
        rules: [
          { match: { path: '/api/datacenter/svm/svms' }, faults: { malformedJsonRate: 1 } },
          { match: { path: '/api/datacenter/cluster/clusters' }, faults: { truncatedJsonRate: 1 } },
        ],
      },
    });
    const malformed = await call(sim, 'GET', '/api/datacenter/svm/svms');
    expect(malformed.status).toBe(200);
    expect(typeof malformed.body).toBe('string');
    expect(() => JSON.parse(String(malformed.body))).toThrow();
    await expect(call(sim, 'GET', '/api/datacenter/cluster/clusters')).rejects.toThrow();
    expect(sim.stats().faults).toMatchObject({ malformedJson: 1, truncatedJson: 1 });
  });

  it('answers a processed write 202 without a job reference: the job runs, nobody can poll it', async () => {
    await using sim = await startSimulator({
      tls: false,
      scenario: {
        rules: [
          { match: { method: 'POST' }, job: { durationMs: 20 }, faults: { missingJobReferenceRate: 1 } },
        ],
      },
    });
    const answer = await call(sim, 'POST', '/api/storage-provider/luns', {
      body: lunBody('unreferenced'),
      headers: { 'x-correlation-id': 'corr-noref' },
    });
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({
      job: { _links: { self: { href: expect.stringMatching(/^\/api\/management-server\/jobs\//) } } },
    });
    expect(sim.stats().faults.missingJobReference).toBe(1);
    const truth = records((await call(sim, 'GET', '/_sim/jobs?correlation_id=corr-noref')).body);
    expect(truth).toEqual([
      expect.objectContaining({ processed: true, responseFault: 'missingJobReference' }),
    ]);
    expect((await waitForJob(sim, String(truth[0]?.id))).state).toBe('completed');
  });

  it('makes a job report the state a rule names, all its life, while it ends as planned', async () => {
    await using sim = await startSimulator({
      tls: false,
      scenario: {
        rules: [{ match: { body: { name: 'odd_*' } }, job: { durationMs: 50, state: 'FROBNICATING' } }],
      },
    });
    const odd = jobKeyOf(
      (await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody('odd_1') })).body,
    );
    const plain = jobKeyOf(
      (await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody('plain_1') })).body,
    );
    const running = obj(
      (await call(sim, 'GET', `/api/management-server/jobs/${encodeURIComponent(odd)}`)).body,
    );
    expect(running).toMatchObject({ state: 'FROBNICATING', status: 'FROBNICATING' });
    expect(await waitForJob(sim, odd)).toMatchObject({ state: 'FROBNICATING', status: 'FROBNICATING' });
    expect(await waitForJob(sim, plain)).toMatchObject({ state: 'completed', status: 'normal' });
    const truth = obj((await call(sim, 'GET', `/_sim/jobs/${encodeURIComponent(odd)}`)).body);
    expect(truth).toMatchObject({
      settled: true,
      outcome: 'NORMAL',
      applied: true,
      reportedState: 'FROBNICATING',
    });
  });

  it('applies a rule with times to the first N requests it matches, then lets the next rules decide', async () => {
    await using sim = await startSimulator({
      tls: false,
      scenario: {
        rules: [
          {
            match: { method: 'POST', body: { name: 'flaky_*' } },
            times: 2,
            job: { durationMs: 10, outcomes: { ERROR: 1 }, message: 'transient' },
          },
          { match: { method: 'POST' }, job: { durationMs: 10 } },
        ],
      },
    });
    const states: unknown[] = [];
    for (const name of ['flaky_1', 'other_1', 'flaky_1', 'flaky_1', 'flaky_2']) {
      const answer = await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody(name) });
      states.push((await waitForJob(sim, jobKeyOf(answer.body))).status);
    }
    // Other writes do not count: the first two flaky ones fail, every later one is the next rule's.
    expect(states).toEqual(['error', 'normal', 'error', 'normal', 'normal']);
  });

  it('delays matching requests by latencyMs before processing them', async () => {
    await using sim = await startSimulator({
      tls: false,
      scenario: {
        rules: [
          { match: { path: '/api/gateways' }, faults: { latencyMs: { min: 300, max: 300 }, latencyRate: 1 } },
        ],
      },
    });
    const started = Date.now();
    expect((await call(sim, 'GET', '/api/gateways')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect((await call(sim, 'GET', '/api/datacenter/svm/svms')).status).toBe(200);
    expect(sim.stats().faults).toEqual({ latency: 1 });
  });

  it('matches body fields with globs, including dotted paths', async () => {
    await using sim = await startSimulator({
      tls: false,
      scenario: {
        rules: [
          {
            match: { method: 'POST', body: { name: 'slow-*', 'svm.key': keys.svms.vs1 ?? '' } },
            // An hour: still running when the other job has ended, however slow the machine.
            job: { durationMs: 3_600_000 },
          },
          { job: { durationMs: 10 } },
        ],
      },
    });
    const slow = jobKeyOf(
      (await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody('slow-1') })).body,
    );
    const fastOtherSvm = jobKeyOf(
      (
        await call(sim, 'POST', '/api/storage-provider/luns', {
          body: lunBody('slow-2', { svm: { key: keys.svms.vs2 } }),
        })
      ).body,
    );
    expect((await waitForJob(sim, fastOtherSvm)).state).toBe('completed');
    expect(obj((await call(sim, 'GET', `/_sim/jobs/${encodeURIComponent(slow)}`)).body)).toMatchObject({
      settled: false,
      outcome: null,
    });
  });

  it('replaces the scenario through the admin API and rejects invalid ones', async () => {
    await using sim = await startSimulator({ tls: false });
    const scenario: ScenarioInput = {
      rules: [{ match: { path: '/api/gateways' }, faults: { statuses: [{ status: 500, rate: 1 }] } }],
    };
    expect((await call(sim, 'PUT', '/_sim/scenario', { body: scenario })).status).toBe(200);
    expect(obj((await call(sim, 'GET', '/_sim/scenario')).body).rules).toHaveLength(1);
    expect((await call(sim, 'GET', '/api/gateways')).status).toBe(500);
    const invalid = await call(sim, 'PUT', '/_sim/scenario', {
      body: { rules: [{ faults: { resetRate: 2 } }] },
    });
    expect(invalid.status).toBe(400);
    expect(obj(obj(invalid.body).error).target).toBe('rules.0.faults.resetRate');
    expect(() => sim.setScenario({ rules: [{ match: { path: '' } }] })).toThrow();
  });
});

/** Replays one request sequence and records what each request saw and what each job really did. */
async function replay(seed: number): Promise<unknown[]> {
  await using sim = await startSimulator({
    tls: false,
    seed,
    scenario: {
      rules: [
        {
          match: { method: 'POST' },
          job: {
            durationMs: { min: 5, max: 50 },
            outcomes: { NORMAL: 50, WARNING: 20, PARTIAL_FAILURES: 10, ERROR: 20 },
          },
          faults: { statuses: [{ status: 503, rate: 0.3, retryAfterSeconds: 1 }] },
        },
      ],
    },
  });
  const seen: unknown[] = [];
  for (let i = 0; i < 30; i++) {
    const answer = await call(sim, 'POST', '/api/storage-provider/luns', {
      body: lunBody(`det_${i}`, {}, seed),
    });
    if (answer.status !== 202) {
      seen.push(answer.status);
      continue;
    }
    const key = jobKeyOf(answer.body);
    const job = await waitForJob(sim, key);
    const truth = obj((await call(sim, 'GET', `/_sim/jobs/${encodeURIComponent(key)}`)).body);
    seen.push([
      key,
      job.status,
      job.job_results,
      truth.plannedOutcome,
      Date.parse(String(truth.endTime)) - Date.parse(String(truth.submitTime)),
    ]);
  }
  return seen;
}

describe('determinism', () => {
  it('gives the same outcomes for the same seed and requests, and different ones for another seed', async () => {
    const first = await replay(42);
    const second = await replay(42);
    expect(second).toEqual(first);
    expect(first.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect(first.filter((s) => Array.isArray(s) && s[1] === 'error').length).toBeGreaterThan(0);
    expect(await replay(43)).not.toEqual(first);
  });
});

describe('stats', () => {
  it('counts submissions per correlation id and polls per job', async () => {
    await using sim = await startSimulator({
      tls: false,
      scenario: { rules: [{ job: { durationMs: 10 } }] },
    });
    const keys: string[] = [];
    for (const name of ['s1', 's2', 's3']) {
      const answer = await call(sim, 'POST', '/api/storage-provider/luns', {
        body: lunBody(name),
        headers: { 'x-correlation-id': name === 's3' ? 'other' : 'same' },
      });
      keys.push(jobKeyOf(answer.body));
    }
    await waitForJob(sim, keys[0] ?? '');
    await call(sim, 'GET', `/api/management-server/jobs/${encodeURIComponent(keys[0] ?? '')}`);
    const stats = obj((await call(sim, 'GET', '/_sim/stats')).body);
    expect(stats.submissions).toEqual({ same: 2, other: 1 });
    expect(obj(stats.polls)[keys[0] ?? '']).toBe(2);
    expect(obj(stats.jobs).total).toBe(3);
    expect(obj(stats.requests)['POST /api/storage-provider/luns']).toEqual({ '202': 3 });
    expect(Object.keys(sim.stats().requests).some((k) => k.includes('/_sim/'))).toBe(false);

    expect((await call(sim, 'POST', '/_sim/reset')).status).toBe(200);
    expect(sim.stats().submissions).toEqual({});
    expect(sim.stats().jobs.total).toBe(3);
    sim.reset();
    expect(sim.stats().requests).toEqual({});
    expect((await call(sim, 'POST', '/_sim/reset?all=true')).status).toBe(200);
    expect(sim.stats().jobs.total).toBe(0);
    expect(records((await call(sim, 'GET', '/api/storage-provider/luns?name=*s1')).body)).toEqual([]);
  });
});

describe('ground truth of what a client was told', () => {
  it('lists the faults of writes per correlation id, those turned away and those answered badly', async () => {
    await using sim = await startSimulator({ tls: false });
    sim.setScenario({
      rules: [{ match: { method: 'POST' }, faults: { statuses: [{ status: 502, rate: 1 }] } }],
    });
    const turnedAway = await call(sim, 'POST', '/api/storage-provider/luns', {
      body: lunBody('gateway_error'),
      headers: { 'x-correlation-id': 'corr-502' },
    });
    expect(turnedAway.status).toBe(502);
    sim.setScenario({ rules: [{ match: { method: 'POST' }, faults: { malformedJsonRate: 1 } }] });
    const rejected = await call(sim, 'POST', '/api/storage-provider/luns', {
      body: lunBody('rejected', { svm: { key: 'no_such_svm' } }),
      headers: { 'x-correlation-id': 'corr-rejected' },
    });
    expect(rejected.status).toBe(400);
    await call(sim, 'GET', '/api/datacenter/svm/svms', { headers: { 'x-correlation-id': 'corr-read' } });

    const truth = async (id: string) => obj((await call(sim, 'GET', `/_sim/jobs?correlation_id=${id}`)).body);
    expect(await truth('corr-502')).toMatchObject({
      records: [],
      writeFaults: [{ fault: '502', processed: false, status: null, at: expect.any(String) }],
    });
    expect(await truth('corr-rejected')).toMatchObject({
      records: [],
      writeFaults: [{ fault: 'malformedJson', processed: true, status: 400 }],
    });
    // Reads are not writes: their faults stay out of the record.
    expect((await truth('corr-read')).writeFaults).toEqual([]);
  });

  it('lists every job of a correlation id, oldest first, and no other', async () => {
    await using sim = await startSimulator({ tls: false });
    const write = async (name: string, correlationId: string) =>
      jobKeyOf(
        (
          await call(sim, 'POST', '/api/storage-provider/luns', {
            body: lunBody(name),
            headers: { 'x-correlation-id': correlationId },
          })
        ).body,
      );
    const first = await write('corr_first', 'corr-retried');
    const other = await write('corr_other', 'corr-other');
    const retry = await write('corr_retry', 'corr-retried');
    const ids = async (id: string) =>
      records((await call(sim, 'GET', `/_sim/jobs?correlation_id=${id}`)).body).map((job) => job.id);
    expect(await ids('corr-retried')).toEqual([first, retry]);
    expect(await ids('corr-other')).toEqual([other]);
    expect(await ids('corr-none')).toEqual([]);
  });

  it('marks a job whose end a poll delivered unspoiled, so a purged job shows whether its end was missed', async () => {
    let now = Date.parse('2025-01-01T00:00:00Z');
    await using sim = await startSimulator({
      tls: false,
      now: () => now,
      ontapJobPurgeSeconds: 5,
      scenario: { rules: [{ match: { path: '/api/gateways/**' }, job: { durationMs: 1000 } }] },
    });
    const cluster = String(records((await call(sim, 'GET', '/api/gateways')).body)[0]?.uuid);
    const submit = async (name: string) => {
      const answer = await call(sim, 'POST', `/api/gateways/${cluster}/storage/volumes`, {
        body: { name, svm: { name: 'vs1' }, aggregates: [{ name: 'aggr1_01' }], size: 1024 ** 3 },
      });
      const job = obj(obj(answer.body).job);
      return { uuid: String(job.uuid), href: String(obj(obj(job._links).self).href) };
    };
    const missed = await submit('gt_missed');
    const seen = await submit('gt_seen');
    const endSeen = async (uuid: string) => obj((await call(sim, 'GET', `/_sim/jobs/${uuid}`)).body).endSeen;

    expect(obj((await call(sim, 'GET', seen.href)).body).state).toBe('queued');
    expect(await endSeen(seen.uuid)).toBe(false);
    now += 1_100;
    sim.setScenario({
      rules: [{ match: { path: '/api/gateways/*/cluster/jobs/**' }, faults: { resetRate: 1 } }],
    });
    await expect(call(sim, 'GET', missed.href)).rejects.toThrow();
    sim.setScenario({ rules: [] });
    expect(obj((await call(sim, 'GET', seen.href)).body).state).toBe('success');
    now += 5_000;
    expect((await call(sim, 'GET', missed.href)).status).toBe(404);
    expect(obj((await call(sim, 'GET', `/_sim/jobs/${missed.uuid}`)).body)).toMatchObject({
      purged: true,
      endSeen: false,
      outcome: 'NORMAL',
    });
    expect(obj((await call(sim, 'GET', `/_sim/jobs/${seen.uuid}`)).body)).toMatchObject({
      purged: true,
      endSeen: true,
    });
  });
});
