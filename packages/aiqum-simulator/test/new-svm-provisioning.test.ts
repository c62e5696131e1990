import { describe, expect, it } from 'vitest';
import { startSimulator } from '../src/index.js';
import { call, failureReasonOf, jobKeyOf, keys, obj, records, waitForJob } from './helpers.js';

const gib = 1024 ** 3;
const enc = encodeURIComponent;

/** A job rule that fails the creation of the SVM named `vs_demo_fail`, as a demo scenario scripts it. */
const failingSvm = {
  match: { method: 'POST', path: '/api/datacenter/svm/svms', body: { name: 'vs_demo_fail' } },
  job: {
    durationMs: 50,
    outcomes: { ERROR: 1 },
    message: 'No aggregate of cluster-02 can host the SVM root volume',
  },
};
const quickJobs = { match: { method: 'POST' }, job: { durationMs: 50 } };

describe('provisioning on a new SVM (what a dependent batch does, by key)', () => {
  it('creates an SVM, an export policy through the gateway, then shares, an igroup and a mapped LUN in it', async () => {
    await using sim = await startSimulator({ tls: false, scenario: { rules: [quickJobs] } });
    const cluster02 = keys.clusters['cluster-02'] ?? '';

    const created = await call(sim, 'POST', '/api/datacenter/svm/svms', {
      body: { name: 'vs_demo_ok', cluster: { key: cluster02 }, nfs: { enabled: true } },
    });
    expect(created.status).toBe(202);
    const job = await waitForJob(sim, jobKeyOf(created.body));
    expect(job).toMatchObject({ state: 'completed', status: 'normal' });
    const svmKey = String((job.job_results as Array<{ name: string; value: string }>)[0]?.value);
    // Found by name (and cluster) as soon as its job has ended, under the key its job gave.
    const found = records(
      (await call(sim, 'GET', '/api/datacenter/svm/svms?name=vs_demo_ok&cluster.name=cluster-02')).body,
    );
    expect(found.map((svm) => svm.key)).toEqual([svmKey]);
    // As ONTAP does, the new SVM has an export policy "default", without rules.
    const defaults = records(
      (
        await call(
          sim,
          'GET',
          '/api/datacenter/protocols/nfs/export-policies?name=default&svm.name=vs_demo_ok',
        )
      ).body,
    );
    expect(defaults).toHaveLength(1);
    expect(defaults[0]?.rules).toEqual([]);

    // Unified Manager's own API only reads export policies: a new one is made through ONTAP.
    const gateways = records((await call(sim, 'GET', '/api/gateways?name=cluster-02')).body);
    const gateway = String(gateways[0]?.uuid);
    const policyPath = `/api/gateways/${gateway}/protocols/nfs/export-policies`;
    const rules = [{ clients: [{ match: '10.40.0.0/16' }], ro_rule: ['sys'], rw_rule: ['sys'] }];
    const policy = await call(sim, 'POST', policyPath, {
      body: { name: 'ep_demo', svm: { name: 'vs_demo_ok' }, rules },
    });
    expect(policy.status).toBe(201);
    expect(policy.body).toEqual({});
    expect(policy.headers.get('location')).toMatch(new RegExp(`^${policyPath}/\\d+$`));
    const viaOntap = records((await call(sim, 'GET', `${policyPath}?name=ep_demo&svm.name=vs_demo_ok`)).body);
    expect(viaOntap[0]).toMatchObject({
      name: 'ep_demo',
      svm: { name: 'vs_demo_ok' },
      rules: [{ index: 1, protocols: ['any'], clients: [{ match: '10.40.0.0/16' }] }],
    });
    const umPolicies = records(
      (
        await call(
          sim,
          'GET',
          '/api/datacenter/protocols/nfs/export-policies?name=ep_demo&svm.name=vs_demo_ok',
        )
      ).body,
    );
    expect(umPolicies).toHaveLength(1);
    const policyKey = String(umPolicies[0]?.key);

    const share = await call(sim, 'POST', '/api/storage-provider/file-shares', {
      body: {
        name: 'fs_demo_home',
        svm: { key: svmKey },
        space: { size: 10 * gib },
        performance_service_level: { key: keys.performanceServiceLevels.Value },
        access_control: { export_policy: { key: policyKey } },
      },
    });
    expect(share.status).toBe(202);
    expect(await waitForJob(sim, jobKeyOf(share.body))).toMatchObject({ status: 'normal' });
    const shares = records(
      (await call(sim, 'GET', '/api/storage-provider/file-shares?name=fs_demo_home&svm.name=vs_demo_ok'))
        .body,
    );
    expect(shares[0]).toMatchObject({
      access_control: { export_policy: { key: policyKey, name: 'ep_demo' } },
    });

    const igroup = await call(sim, 'POST', '/api/datacenter/protocols/san/igroups', {
      body: { name: 'ig_demo', os_type: 'linux', protocol: 'iscsi', svm: { key: svmKey } },
    });
    expect(igroup.status).toBe(201);
    const igroupKey = String(obj(igroup.body).key);
    const lun = await call(sim, 'POST', '/api/storage-provider/luns', {
      body: {
        name: 'lun_demo_db',
        os_type: 'linux',
        space: { size: gib },
        svm: { key: svmKey },
        performance_service_level: { key: keys.performanceServiceLevels.Value },
        lun_maps: [{ igroup: { key: igroupKey }, logical_unit_number: 0 }],
      },
    });
    expect(await waitForJob(sim, jobKeyOf(lun.body))).toMatchObject({ status: 'normal' });
    const luns = records((await call(sim, 'GET', '/api/storage-provider/luns?svm.name=vs_demo_ok')).body);
    expect(luns).toHaveLength(1);
    expect(luns[0]).toMatchObject({
      name: '/vol/AIQUM_vol_lun_demo_db/lun_demo_db',
      lun_maps: [{ igroup: { key: igroupKey, name: 'ig_demo' }, logical_unit_number: 0 }],
    });

    // Deleting the SVM with force takes its export policies (the default one and ep_demo) with it.
    const deleted = await call(sim, 'DELETE', `/api/datacenter/svm/svms/${enc(svmKey)}?force=true`);
    await waitForJob(sim, jobKeyOf(deleted.body));
    expect(records((await call(sim, 'GET', `${policyPath}?svm.name=vs_demo_ok`)).body)).toEqual([]);
  });

  it('answers the new export policy with return_records, and refuses a duplicate, an unknown SVM and a role', async () => {
    await using sim = await startSimulator({ tls: false });
    const gateway = String(records((await call(sim, 'GET', '/api/gateways?name=cluster-01')).body)[0]?.uuid);
    const path = `/api/gateways/${gateway}/protocols/nfs/export-policies`;
    const body = { name: 'ep_new', svm: { name: 'vs1' } };
    const created = await call(sim, 'POST', `${path}?return_records=true`, { body });
    expect(created.status).toBe(201);
    expect(obj(created.body)).toMatchObject({ num_records: 1, records: [{ name: 'ep_new', rules: [] }] });
    const duplicate = await call(sim, 'POST', path, { body });
    expect(duplicate.status).toBe(409);
    expect(obj(duplicate.body).error).toMatchObject({ target: 'name' });
    const nowhere = await call(sim, 'POST', path, { body: { name: 'ep_x', svm: { name: 'vs_missing' } } });
    expect(nowhere.status).toBe(400);
    expect(obj(nowhere.body).error).toMatchObject({ target: 'svm.name' });
    // Writes through the gateway are for application administrators.
    expect((await call(sim, 'POST', path, { user: 'storage', body: { ...body, name: 'ep_y' } })).status).toBe(
      403,
    );
    // The same policy name in another SVM is another policy.
    expect((await call(sim, 'POST', path, { body: { ...body, svm: { name: 'vs2' } } })).status).toBe(201);
  });

  it('fails the creation job of the SVM a scenario names, which leaves no SVM and no key', async () => {
    await using sim = await startSimulator({ tls: false, scenario: { rules: [failingSvm, quickJobs] } });
    const cluster02 = keys.clusters['cluster-02'] ?? '';
    const [failing, sibling] = await Promise.all(
      ['vs_demo_fail', 'vs_demo_ok'].map((name) =>
        call(sim, 'POST', '/api/datacenter/svm/svms', { body: { name, cluster: { key: cluster02 } } }),
      ),
    );
    const failed = await waitForJob(sim, jobKeyOf(failing?.body));
    expect(failed).toMatchObject({ state: 'completed', status: 'error', job_results: [] });
    expect(failureReasonOf(failed)).toBe(failingSvm.job.message);
    expect(records((await call(sim, 'GET', '/api/datacenter/svm/svms?name=vs_demo_fail')).body)).toEqual([]);
    // Only the SVM the rule names fails.
    expect(await waitForJob(sim, jobKeyOf(sibling?.body))).toMatchObject({ status: 'normal' });
    expect(records((await call(sim, 'GET', '/api/datacenter/svm/svms?name=vs_demo_ok')).body)).toHaveLength(
      1,
    );
  });
});
