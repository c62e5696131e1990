import { describe, expect, it } from 'vitest';
import { startSimulator } from '../src/index.js';
import { call, obj, records } from './helpers.js';

const volume = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  svm: { name: 'vs1' },
  aggregates: [{ name: 'aggr1_01' }],
  size: 1024 ** 3,
  ...extra,
});

describe('ONTAP gateway', () => {
  it('lists clusters, runs a volume create as an ONTAP job, and purges the job later', async () => {
    const start = Date.parse('2025-01-01T00:00:00Z');
    let now = start;
    await using sim = await startSimulator({
      tls: false,
      now: () => now,
      ontapJobPurgeSeconds: 5,
      scenario: { rules: [{ match: { path: '/api/gateways/**' }, job: { durationMs: 1000 } }] },
    });
    const gateways = records((await call(sim, 'GET', '/api/gateways')).body);
    expect(gateways.map((g) => g.name)).toEqual(['cluster-01', 'cluster-02']);
    const cluster = String(gateways[0]?.uuid);
    expect(obj(obj(gateways[0]?._links).self).href).toBe(`/api/gateways/${cluster}`);

    const posted = await call(sim, 'POST', `/api/gateways/${cluster}/storage/volumes`, {
      body: volume('gw_vol1'),
    });
    expect(posted.status).toBe(202);
    const job = obj(obj(posted.body).job);
    const href = String(obj(obj(job._links).self).href);
    expect(href).toBe(`/api/gateways/${cluster}/cluster/jobs/${job.uuid}`);
    expect(obj((await call(sim, 'GET', href)).body).state).toBe('queued');
    now += 500;
    expect(obj((await call(sim, 'GET', href)).body)).toMatchObject({ state: 'running', code: 0 });
    now += 600;
    const done = obj((await call(sim, 'GET', href)).body);
    expect(done).toMatchObject({
      uuid: job.uuid,
      state: 'success',
      start_time: expect.any(String),
      end_time: expect.any(String),
    });
    const volumes = records(
      (await call(sim, 'GET', `/api/gateways/${cluster}/storage/volumes?name=gw_vol1`)).body,
    );
    expect(volumes).toHaveLength(1);
    expect(volumes[0]).toMatchObject({
      name: 'gw_vol1',
      svm: { name: 'vs1' },
      aggregates: [{ name: 'aggr1_01' }],
    });

    const duplicate = await call(sim, 'POST', `/api/gateways/${cluster}/storage/volumes`, {
      body: volume('gw_vol1'),
    });
    const duplicateHref = String(obj(obj(obj(obj(duplicate.body).job)._links).self).href);
    now += 1000;
    const failed = obj((await call(sim, 'GET', duplicateHref)).body);
    expect(failed.state).toBe('failure');
    expect(typeof failed.code).toBe('number');
    expect(failed.message).toContain('Duplicate');

    // The first job ended at start + 1 s; it is purged 5 s later.
    now = start + 5999;
    expect((await call(sim, 'GET', href)).status).toBe(200);
    now = start + 6000;
    const purged = await call(sim, 'GET', href);
    expect(purged.status).toBe(404);
    expect(obj(purged.body).error).toMatchObject({ message: "entry doesn't exist", code: '4' });
    const truth = obj((await call(sim, 'GET', `/_sim/jobs/${job.uuid}`)).body);
    expect(truth).toMatchObject({ kind: 'ontap', purged: true, outcome: 'NORMAL', applied: true });
  });

  it('waits with return_timeout: 201 with the job when it ends in time, else 202', async () => {
    await using sim = await startSimulator({
      tls: false,
      scenario: {
        rules: [
          // An hour: still running after the 1 s wait, however slow the machine.
          { match: { body: { name: 'slow_*' } }, job: { durationMs: 3_600_000 } },
          { job: { durationMs: 100 } },
        ],
      },
    });
    const cluster = String(records((await call(sim, 'GET', '/api/gateways')).body)[0]?.uuid);
    const path = `/api/gateways/${cluster}/storage/volumes`;
    const quick = await call(sim, 'POST', `${path}?return_timeout=10`, { body: volume('quick_vol') });
    expect(quick.status).toBe(201);
    expect(obj(obj(quick.body).job)).toMatchObject({ state: 'success' });

    // A job that fails in time answers with its error, as ONTAP does.
    const duplicate = await call(sim, 'POST', `${path}?return_timeout=10`, { body: volume('quick_vol') });
    expect(duplicate.status).toBe(400);
    expect(obj(obj(duplicate.body).error).message).toBe('Duplicate volume name quick_vol.');

    const slow = await call(sim, 'POST', `${path}?return_timeout=1`, { body: volume('slow_vol') });
    expect(slow.status).toBe(202);
    expect(obj(obj(slow.body).job).uuid).toEqual(expect.any(String));

    const tooLong = await call(sim, 'POST', `${path}?return_timeout=121`, { body: volume('x_vol') });
    expect(tooLong.status).toBe(400);
    expect(obj(obj(tooLong.body).error).target).toBe('return_timeout');
    const noSvm = await call(sim, 'POST', path, { body: volume('y_vol', { svm: { name: 'vs3' } }) });
    expect(noSvm.status).toBe(400);
    expect(obj(obj(noSvm.body).error).target).toBe('svm.name');
    expect((await call(sim, 'GET', '/api/gateways/not-a-cluster/storage/volumes')).status).toBe(404);
  });
});
