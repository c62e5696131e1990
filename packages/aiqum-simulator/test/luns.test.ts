import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.js';
import { call, failureReasonOf, jobKeyOf, keys, lunBody, obj, records, waitForJob } from './helpers.js';

describe('LUN writes', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({
      tls: false,
      scenario: { rules: [{ match: { path: '**' }, job: { durationMs: 50 } }] },
    });
  });
  afterAll(() => sim.close());

  it('POST answers 202 with a job, which ends NORMAL with lunKey, and the LUN appears', async () => {
    const posted = await call(sim, 'POST', '/api/storage-provider/luns', {
      body: lunBody('lun_new1', {
        volume: { name_tag: 'new1' },
        lun_maps: [{ igroup: { key: keys.igroups.ig_linux_vs1 }, logical_unit_number: 3 }],
      }),
    });
    expect(posted.status).toBe(202);
    const key = jobKeyOf(posted.body);
    expect(key).toContain(':');
    expect(obj(obj(obj(posted.body).job)._links).self).toEqual({
      href: `/api/management-server/jobs/${encodeURIComponent(key)}`,
    });

    const job = await waitForJob(sim, key);
    expect(job).toMatchObject({ key, name: 'Provision LUN', state: 'completed', status: 'normal' });
    expect(job.complete_time).toEqual(expect.any(String));
    const results = job.job_results as Array<{ name: string; value: string }>;
    const lunKey = results.find((r) => r.name === 'lunKey')?.value;
    expect(lunKey).toMatch(/:type=lun,uuid=/);
    expect(results.some((r) => r.name === 'volumeKey')).toBe(true);

    const lun = await call(sim, 'GET', `/api/v2/storage-provider/luns/${encodeURIComponent(lunKey ?? '')}`);
    expect(lun.status).toBe(200);
    expect(lun.body).toMatchObject({
      key: lunKey,
      name: '/vol/AIQUM_new1/lun_new1',
      volume: { name: 'AIQUM_new1' },
      space: { size: 1024 ** 3 },
      assigned_performance_service_level: { name: 'Value' },
      assigned_storage_efficiency_policy: { name: 'Default' },
      lun_maps: [{ igroup: { name: 'ig_linux_vs1' }, logical_unit_number: 3 }],
      svm: { name: 'vs1' },
      cluster: { name: 'cluster-01' },
    });
    const listed = await call(sim, 'GET', '/api/storage-provider/luns?name=*lun_new1');
    expect(records(listed.body).map((r) => r.key)).toEqual([lunKey]);
  });

  it('shows the job running until its end on the simulator clock, then completed', async () => {
    // A clock of the test's own: on the wall clock, a loaded machine could let a 50 ms job end before the
    // first GET arrives.
    let now = Date.parse('2025-01-01T00:00:00Z');
    await using clocked = await startSimulator({
      tls: false,
      now: () => now,
      scenario: { rules: [{ match: { path: '**' }, job: { durationMs: 50 } }] },
    });
    const posted = await call(clocked, 'POST', '/api/storage-provider/luns', {
      body: lunBody('lun_clocked1', {
        volume: { name_tag: 'clocked1' },
        lun_maps: [{ igroup: { key: keys.igroups.ig_linux_vs1 }, logical_unit_number: 3 }],
      }),
    });
    const href = `/api/management-server/jobs/${encodeURIComponent(jobKeyOf(posted.body))}`;
    expect(obj((await call(clocked, 'GET', href)).body)).toMatchObject({
      state: 'running',
      status: 'normal',
    });
    now += 50;
    expect(obj((await call(clocked, 'GET', href)).body)).toMatchObject({
      state: 'completed',
      status: 'normal',
    });
  });

  it('validates the body with zod and names the offending field', async () => {
    const badSize = await call(sim, 'POST', '/api/storage-provider/luns', {
      body: lunBody('x', { space: { size: -1 } }),
    });
    expect(badSize.status).toBe(400);
    expect(obj(obj(badSize.body).error).target).toBe('space.size');

    const noSvm = await call(sim, 'POST', '/api/storage-provider/luns', {
      body: lunBody('x', { svm: { key: 'nope' } }),
    });
    expect(noSvm.status).toBe(400);
    expect(obj(noSvm.body).error).toMatchObject({ target: 'svm.key', code: expect.anything() });

    const noPsl = await call(sim, 'POST', '/api/storage-provider/luns', {
      body: lunBody('x', { performance_service_level: { key: 'missing' } }),
    });
    expect(obj(obj(noPsl.body).error).target).toBe('performance_service_level.key');

    const foreignIgroup = await call(sim, 'POST', '/api/storage-provider/luns', {
      body: lunBody('x', { lun_maps: [{ igroup: { key: keys.igroups.ig_linux_vs3 } }] }),
    });
    expect(obj(obj(foreignIgroup.body).error).target).toBe('lun_maps.0.igroup.key');
    expect(sim.stats().jobs.total).toBe(1);
  });

  it('fails the JOB, not the request, on a duplicate name, and changes nothing', async () => {
    const before = records((await call(sim, 'GET', '/api/storage-provider/luns')).body).length;
    const posted = await call(sim, 'POST', '/api/storage-provider/luns', {
      body: lunBody('lun_db01', { volume: { key: keys.volumes.vol_db01 } }),
    });
    expect(posted.status).toBe(202);
    const job = await waitForJob(sim, jobKeyOf(posted.body));
    expect(job).toMatchObject({ state: 'completed', status: 'error' });
    expect(job.message).toBeUndefined();
    expect(failureReasonOf(job)).toContain('already exists');
    expect(job.job_results).toEqual([]);
    expect(records((await call(sim, 'GET', '/api/storage-provider/luns')).body)).toHaveLength(before);
  });

  it('PATCH and DELETE are asynchronous and change the LUN when the job ends', async () => {
    const lun = records(
      (await call(sim, 'GET', '/api/storage-provider/luns?name=/vol/vol_db01/lun_db02')).body,
    )[0];
    const key = String(lun?.key);
    const path = `/api/storage-provider/luns/${encodeURIComponent(key)}`;

    const patched = await call(sim, 'PATCH', path, { body: { space: { size: 5 * 1024 ** 3 } } });
    expect(patched.status).toBe(202);
    expect((await waitForJob(sim, jobKeyOf(patched.body))).state).toBe('completed');
    const reassigned = await call(sim, 'PATCH', path, {
      body: { performance_service_level: { key: keys.performanceServiceLevels['Extreme Performance'] } },
    });
    expect((await waitForJob(sim, jobKeyOf(reassigned.body))).state).toBe('completed');
    expect((await call(sim, 'GET', path)).body).toMatchObject({
      space: { size: 5 * 1024 ** 3 },
      assigned_performance_service_level: { name: 'Extreme Performance' },
    });

    const empty = await call(sim, 'PATCH', path, { body: {} });
    expect(empty.status).toBe(400);

    const deleted = await call(sim, 'DELETE', path);
    expect(deleted.status).toBe(202);
    expect((await call(sim, 'GET', path)).status).toBe(200);
    const job = await waitForJob(sim, jobKeyOf(deleted.body));
    expect(job.job_results).toEqual([{ name: 'lunKey', value: key }]);
    expect((await call(sim, 'GET', path)).status).toBe(404);
    expect((await call(sim, 'DELETE', path)).status).toBe(404);
  });

  it('PATCH and DELETE of file shares and DELETE of access endpoints change the inventory when the job ends', async () => {
    const results = async (answer: { body: unknown }) =>
      (await waitForJob(sim, jobKeyOf(answer.body))).job_results as Array<{ name: string; value: string }>;
    const created = await call(sim, 'POST', '/api/storage-provider/file-shares', {
      body: {
        name: 'fs_changed',
        svm: { key: keys.svms.vs1 },
        space: { size: 1024 ** 3 },
        performance_service_level: { key: keys.performanceServiceLevels.Value },
      },
    });
    const createdResults = await results(created);
    const shareKey = createdResults.find((r) => r.name === 'fileshareKey')?.value ?? '';
    const volumeKey = createdResults.find((r) => r.name === 'volumeKey')?.value ?? '';
    const path = `/api/storage-provider/file-shares/${encodeURIComponent(shareKey)}`;
    const volumePath = `/api/datacenter/storage/volumes/${encodeURIComponent(volumeKey)}`;
    expect((await call(sim, 'GET', path)).body).toMatchObject({
      assigned_performance_service_level: { name: 'Value' },
      assigned_storage_efficiency_policy: { name: 'Default' },
    });

    // One property per PATCH, as A97 sends them.
    for (const body of [
      { space: { size: 2 * 1024 ** 3 } },
      { performance_service_level: { key: keys.performanceServiceLevels['Extreme Performance'] } },
      { storage_efficiency_policy: { key: keys.storageEfficiencyPolicies.None } },
    ]) {
      const patched = await call(sim, 'PATCH', path, { body });
      expect(await results(patched)).toEqual([{ name: 'fileshareKey', value: shareKey }]);
    }
    expect((await call(sim, 'GET', path)).body).toMatchObject({
      space: { size: 2 * 1024 ** 3 },
      assigned_performance_service_level: { name: 'Extreme Performance' },
      assigned_storage_efficiency_policy: { name: 'None' },
    });
    expect((await call(sim, 'GET', volumePath)).body).toMatchObject({ size: 2 * 1024 ** 3 });
    const badRef = await call(sim, 'PATCH', path, { body: { storage_efficiency_policy: { key: 'nope' } } });
    expect(badRef.status).toBe(400);
    expect(obj(obj(badRef.body).error).target).toBe('storage_efficiency_policy.key');

    // Both accepted while the share exists; the second job finds it gone.
    const deleted = await call(sim, 'DELETE', path);
    const again = await call(sim, 'DELETE', path);
    expect([deleted.status, again.status]).toEqual([202, 202]);
    expect(await results(deleted)).toEqual([{ name: 'fileshareKey', value: shareKey }]);
    const gone = await waitForJob(sim, jobKeyOf(again.body));
    expect(gone).toMatchObject({ state: 'completed', status: 'error', job_results: [] });
    expect(failureReasonOf(gone)).toBe('File share "fs_changed" no longer exists.');
    expect((await call(sim, 'GET', path)).status).toBe(404);
    expect((await call(sim, 'GET', volumePath)).status).toBe(404);
    expect((await call(sim, 'DELETE', path)).status).toBe(404);

    const endpoint = await call(sim, 'POST', '/api/storage-provider/access-endpoints', {
      body: {
        name: 'ae_gone',
        ip: { address: '10.0.0.10' },
        svm: { key: keys.svms.vs1 },
        data_protocols: ['iscsi'],
      },
    });
    const endpointKey = (await results(endpoint))[0]?.value ?? '';
    const endpointPath = `/api/storage-provider/access-endpoints/${encodeURIComponent(endpointKey)}`;
    const removed = await call(sim, 'DELETE', endpointPath);
    const removedAgain = await call(sim, 'DELETE', endpointPath);
    expect(await results(removed)).toEqual([{ name: 'accessEndpointKey', value: endpointKey }]);
    const endpointGone = await waitForJob(sim, jobKeyOf(removedAgain.body));
    expect(endpointGone).toMatchObject({ state: 'completed', status: 'error' });
    expect(failureReasonOf(endpointGone)).toBe('Access endpoint "ae_gone" no longer exists.');
    expect((await call(sim, 'GET', endpointPath)).status).toBe(404);
    expect((await call(sim, 'DELETE', endpointPath)).status).toBe(404);
  });

  it('creates igroups synchronously: 201 with the record', async () => {
    const created = await call(sim, 'POST', '/api/datacenter/protocols/san/igroups', {
      body: {
        name: 'ig_new',
        os_type: 'linux',
        svm: { key: keys.svms.vs2 },
        initiators: [{ name: 'iqn.2000-01.x:1' }],
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'ig_new', svm: { name: 'vs2' }, protocol: 'iscsi' });
    const key = String(obj(created.body).key);
    expect(
      (await call(sim, 'GET', `/api/datacenter/protocols/san/igroups/${encodeURIComponent(key)}`)).status,
    ).toBe(200);
    const again = await call(sim, 'POST', '/api/datacenter/protocols/san/igroups', {
      body: { name: 'ig_new', os_type: 'linux', svm: { key: keys.svms.vs2 } },
    });
    expect(again.status).toBe(400);
    expect(obj(obj(again.body).error).target).toBe('name');
  });

  it('runs file share, access endpoint and SVM writes as jobs with their result keys', async () => {
    const share = await call(sim, 'POST', '/api/storage-provider/file-shares', {
      body: {
        name: 'fs_new',
        svm: { key: keys.svms.vs2 },
        space: { size: 10 * 1024 ** 3 },
        performance_service_level: { key: keys.performanceServiceLevels.Performance },
      },
    });
    const shareJob = await waitForJob(sim, jobKeyOf(share.body));
    const shareKey = (shareJob.job_results as Array<{ name: string; value: string }>).find(
      (r) => r.name === 'fileshareKey',
    );
    expect(shareKey).toBeDefined();
    expect(
      records((await call(sim, 'GET', '/api/storage-provider/file-shares?svm.name=vs2')).body).map(
        (r) => r.name,
      ),
    ).toEqual(['fs_new']);

    const endpoint = await call(sim, 'POST', '/api/storage-provider/access-endpoints', {
      body: {
        name: 'ae_new',
        ip: { address: '10.0.0.9' },
        svm: { key: keys.svms.vs2 },
        data_protocols: ['nfs'],
      },
    });
    const endpointJob = await waitForJob(sim, jobKeyOf(endpoint.body));
    expect((endpointJob.job_results as Array<{ name: string }>)[0]?.name).toBe('accessEndpointKey');

    const svm = await call(sim, 'POST', '/api/datacenter/svm/svms', {
      body: { name: 'vs_new', cluster: { key: keys.clusters['cluster-02'] } },
    });
    const svmJob = await waitForJob(sim, jobKeyOf(svm.body));
    expect((svmJob.job_results as Array<{ name: string }>)[0]?.name).toBe('svmKey');
    expect(
      records((await call(sim, 'GET', '/api/datacenter/svm/svms?cluster.name=cluster-02')).body).map(
        (r) => r.name,
      ),
    ).toEqual(['vs3', 'vs4', 'vs_new']);
    const badIp = await call(sim, 'POST', '/api/storage-provider/access-endpoints', {
      body: { name: 'ae_bad', ip: { address: 'nope' }, svm: { key: keys.svms.vs2 }, data_protocols: ['nfs'] },
    });
    expect(obj(obj(badIp.body).error).target).toBe('ip.address');
  });
});

describe('job links', () => {
  it('keep the API version of the write: /api/v2/ writes are polled under /api/v2/', async () => {
    await using sim = await startSimulator({ tls: false });
    const v2 = await call(sim, 'POST', '/api/v2/storage-provider/luns', { body: lunBody('lun_v2') });
    const v2Key = encodeURIComponent(jobKeyOf(v2.body));
    expect(obj(obj(v2.body).job)._links).toEqual({
      self: { href: `/api/v2/management-server/jobs/${v2Key}` },
    });
    const polled = await call(sim, 'GET', `/api/v2/management-server/jobs/${v2Key}`);
    expect(obj(polled.body)._links).toEqual({ self: { href: `/api/v2/management-server/jobs/${v2Key}` } });

    const latest = await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody('lun_latest') });
    const latestKey = encodeURIComponent(jobKeyOf(latest.body));
    expect(obj(obj(latest.body).job)._links).toEqual({
      self: { href: `/api/management-server/jobs/${latestKey}` },
    });
    const unversioned = await call(sim, 'GET', `/api/management-server/jobs/${v2Key}`);
    expect(obj(unversioned.body)._links).toEqual({ self: { href: `/api/management-server/jobs/${v2Key}` } });
  });
});

describe('the docs dialect (opt-in)', () => {
  it('reports RUNNING, then the outcome as state and status, with a job-level message', async () => {
    await using sim = await startSimulator({
      tls: false,
      dialect: 'docs',
      scenario: {
        rules: [
          {
            match: { body: { name: 'bad-*' } },
            job: { durationMs: 30, outcomes: { ERROR: 1 }, message: 'disk on fire' },
          },
          { job: { durationMs: 30 } },
        ],
      },
    });
    const ok = await call(sim, 'POST', '/api/v2/storage-provider/luns', { body: lunBody('good-1') });
    const running = await call(
      sim,
      'GET',
      `/api/v2/management-server/jobs/${encodeURIComponent(jobKeyOf(ok.body))}`,
    );
    expect(running.body).toMatchObject({ state: 'RUNNING', status: 'RUNNING' });
    expect(await waitForJob(sim, jobKeyOf(ok.body))).toMatchObject({ state: 'NORMAL', status: 'NORMAL' });

    const bad = await call(sim, 'POST', '/api/v2/storage-provider/luns', { body: lunBody('bad-1') });
    const failed = await waitForJob(sim, jobKeyOf(bad.body));
    expect(failed).toMatchObject({
      state: 'ERROR',
      status: 'ERROR',
      message: 'disk on fire',
      job_results: [],
    });
    expect(failureReasonOf(failed)).toBe('disk on fire');
    expect(records((await call(sim, 'GET', '/api/storage-provider/luns?name=*bad-1')).body)).toEqual([]);
  });
});
