/**
 * The requests NetApp's published clients send, replayed against the simulator over HTTP: each flow of the
 * 9.7 Ansible modules' sample playbooks (NetApp/Ansible-with-Active-IQ-Unified-Manager: aiqum_modules and
 * sample_playbooks) and the netapp.um_info listings with max_records 1. Each step sends what that client
 * sends (paths, query strings, bodies) and asserts what that client reads from the answer. Our own code,
 * written from reading theirs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.js';
import { call, obj, records } from './helpers.js';

const cluster = 'cluster-01';
const svm = 'vs1';

/** A97 builds its URLs by concatenating names; `requests` then percent-encodes what a URL cannot hold. */
function q(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

/** A97's `get_resource_key`: 200, then the first record's key, or none when `num_records` is 0. */
async function resourceKey(sim: Simulator, path: string): Promise<string | undefined> {
  const answer = await call(sim, 'GET', path);
  expect(answer.status).toBe(200);
  const page = obj(answer.body);
  if (page.num_records === 0) return undefined;
  const key = records(page)[0]?.key;
  return typeof key === 'string' ? key : undefined;
}

describe('NetApp 9.7 Ansible modules (A97) and netapp.um_info (UMI) against the simulator', () => {
  let sim: Simulator;
  let now = Date.parse('2025-01-01T00:00:00Z');

  /**
   * A97's `get_job_status`: GET /api/v2/management-server/jobs/<raw key> until `state` is `completed`,
   * sleeping 1 s between polls (here: moving the simulator's clock 1 s), at most 300 polls.
   */
  async function waitLikeA97(jobKey: string): Promise<Record<string, unknown>> {
    for (let poll = 0; poll < 300; poll++) {
      const answer = await call(sim, 'GET', `/api/v2/management-server/jobs/${jobKey}`);
      expect(answer.status).toBe(200);
      const job = obj(answer.body);
      if (job.state === 'completed') return job;
      now += 1000;
    }
    throw new Error(`job ${jobKey} did not complete in 300 polls`);
  }

  /** A97's `parse_state_response` for a 202: the job key from `job.key`, then the job once completed. */
  async function completedJob(answer: { status: number; body: unknown }): Promise<Record<string, unknown>> {
    expect(answer.status).toBe(202);
    const key = obj(obj(answer.body).job).key;
    expect(typeof key).toBe('string');
    const job = await waitLikeA97(String(key));
    expect(job).toMatchObject({ state: 'completed', status: 'normal' });
    return job;
  }

  /** Every module starts by checking the cluster and the SVM by name. */
  async function svmKeyLikeA97(): Promise<string> {
    expect(
      await resourceKey(sim, `/api/v2/datacenter/cluster/clusters?${q({ name: cluster })}`),
    ).toBeDefined();
    const key = await resourceKey(
      sim,
      `/api/v2/datacenter/svm/svms?${q({ 'cluster.name': cluster, name: svm })}`,
    );
    expect(key).toBeDefined();
    return String(key);
  }

  beforeAll(async () => {
    sim = await startSimulator({
      tls: false,
      now: () => now,
      // NetApp's clients read SPEC's job dialect (state running → completed, status lower case).
      dialect: 'spec',
      scenario: { rules: [{ job: { durationMs: 2500 } }] },
    });
  });
  afterAll(() => sim.close());

  it('LUN provision (aiqum_lun_provision.yml): igroup, then a LUN in a new volume found where A97 looks', async () => {
    const svmKey = await svmKeyLikeA97();
    // aiqum_igroups: not found, so POST; the answer is a 201 with the record.
    const igroupLookup = `/api/v2/datacenter/protocols/san/igroups?${q({ name: 'ig_host1', 'svm.name': svm, 'cluster.name': cluster })}`;
    expect(await resourceKey(sim, igroupLookup)).toBeUndefined();
    const igroup = await call(sim, 'POST', '/api/v2/datacenter/protocols/san/igroups', {
      body: {
        initiators: [{ name: 'iqn.1991-05.com.microsoft:host1' }],
        name: 'ig_host1',
        os_type: 'windows',
        protocol: 'mixed',
        svm: { key: svmKey },
      },
    });
    expect(igroup.status).toBe(201);
    expect(obj(igroup.body)).toMatchObject({ name: 'ig_host1', key: expect.any(String) });
    // Run again: found, so PATCH (every property in one body): 200.
    const igroupKey = String(await resourceKey(sim, igroupLookup));
    const igroupPatch = await call(sim, 'PATCH', `/api/v2/datacenter/protocols/san/igroups/${igroupKey}`, {
      body: { initiators: [{ name: 'iqn.1991-05.com.microsoft:host1' }], os_type: 'windows' },
    });
    expect(igroupPatch.status).toBe(200);

    // aiqum_luns exist(): the LUN under the AIQUM_ volume, then under the brownfield volume.
    const lun = 'lun_app1';
    const lunsPath = '/api/v2/storage-provider/luns';
    const where = { 'cluster.name': cluster, 'svm.name': svm };
    const aiqumPath = `${lunsPath}?${q({ ...where, name: `/vol/AIQUM_vol_${lun}/${lun}` })}`;
    expect(await resourceKey(sim, aiqumPath)).toBeUndefined();
    expect(
      await resourceKey(sim, `${lunsPath}?${q({ ...where, name: `/vol/vol_${lun}/${lun}` })}`),
    ).toBeUndefined();
    // post(): the PSL by name, then the volume: as a file share, as an AIQUM_ file share, through LUNs.
    const pslKey = await resourceKey(
      sim,
      `/api/v2/storage-provider/performance-service-levels?${q({ name: 'Value' })}`,
    );
    expect(pslKey).toBeDefined();
    const shares = '/api/v2/storage-provider/file-shares';
    expect(await resourceKey(sim, `${shares}?${q({ name: `vol_${lun}`, ...where })}`)).toBeUndefined();
    expect(await resourceKey(sim, `${shares}?${q({ name: `AIQUM_vol_${lun}`, ...where })}`)).toBeUndefined();
    expect(
      records(
        (await call(sim, 'GET', `${lunsPath}?${q({ ...where, 'volume.name': `AIQUM_vol_${lun}` })}`)).body,
      ),
    ).toEqual([]);
    expect(
      records(
        (
          await call(
            sim,
            'GET',
            `${lunsPath}?${q({ cluster, 'svm.name': svm, 'volume.name': `vol_${lun}` })}`,
          )
        ).body,
      ),
    ).toEqual([]);
    const igroupByName = await resourceKey(
      sim,
      `/api/v2/datacenter/protocols/san/igroups?${q({ name: 'ig_host1', 'svm.name': svm })}`,
    );
    const created = await call(sim, 'POST', lunsPath, {
      body: {
        name: lun,
        space: { size: 50 * 1024 ** 2 },
        svm: { key: svmKey },
        performance_service_level: { key: pslKey },
        os_type: 'windows',
        volume: { name_tag: `vol_${lun}` },
        lun_maps: [{ igroup: { key: igroupByName } }],
      },
    });
    const job = await completedJob(created);
    expect(job.job_results).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'lunKey', value: expect.any(String) })]),
    );
    // The next run's exist() finds it where A97 looks.
    expect(await resourceKey(sim, aiqumPath)).toBeDefined();
  });

  it('LUN editing (aiqum_lun_assign_psl.yml): one PATCH per property, one job each', async () => {
    const lunsPath = '/api/v2/storage-provider/luns';
    const key = String(
      await resourceKey(
        sim,
        `${lunsPath}?${q({ 'cluster.name': cluster, 'svm.name': svm, name: '/vol/vol_db01/lun_db02' })}`,
      ),
    );
    const lunPath = `${lunsPath}/${key}`;
    const lun = obj((await call(sim, 'GET', lunPath)).body);
    expect(lun).toMatchObject({
      space: { size: expect.any(Number) },
      assigned_performance_service_level: { name: expect.any(String) },
      assigned_storage_efficiency_policy: { name: expect.any(String) },
    });
    const pslKey = await resourceKey(
      sim,
      `/api/v2/storage-provider/performance-service-levels?${q({ name: 'Extreme Performance' })}`,
    );
    const sepKey = await resourceKey(
      sim,
      `/api/v2/storage-provider/storage-efficiency-policies?${q({ name: 'None' })}`,
    );
    const igroupKey = await resourceKey(
      sim,
      `/api/v2/datacenter/protocols/san/igroups?${q({ name: 'ig_windows_vs1', 'svm.name': svm })}`,
    );
    const bodies = [
      { space: { size: Number(obj(lun.space).size) * 2 } },
      { performance_service_level: { key: pslKey } },
      { storage_efficiency_policy: { key: sepKey } },
      // A97 sends the LUN id as the text it split from its input.
      { lun_maps: [{ igroup: { key: igroupKey }, logical_unit_number: '7' }] },
      { operational_state: 'OFFLINE' },
    ];
    const answers = [];
    for (const body of bodies) answers.push(await call(sim, 'PATCH', lunPath, { body }));
    for (const answer of answers) await completedJob(answer);
    expect(obj((await call(sim, 'GET', lunPath)).body)).toMatchObject({
      space: { size: Number(obj(lun.space).size) * 2 },
      assigned_performance_service_level: { name: 'Extreme Performance' },
      assigned_storage_efficiency_policy: { name: 'None' },
      lun_maps: [{ igroup: { name: 'ig_windows_vs1' }, logical_unit_number: 7 }],
      operational_state: 'offline',
    });
  });

  it('NFS share (aiqum_nfs_share_provision.yml): export policy by rules, then by key, then a PSL PATCH', async () => {
    const shares = '/api/v2/storage-provider/file-shares';
    const svmKey = await svmKeyLikeA97();
    expect(
      await resourceKey(
        sim,
        `${shares}?${q({ 'cluster.name': cluster, 'svm.name': svm, name: 'nfs_data' })}`,
      ),
    ).toBeUndefined();
    const pslKey = await resourceKey(
      sim,
      `/api/v2/storage-provider/performance-service-levels?${q({ name: 'Performance' })}`,
    );
    const created = await call(sim, 'POST', shares, {
      body: {
        space: { size: 100 * 1024 ** 2 },
        mountpoint: '/nfs_data',
        name: 'nfs_data',
        svm: { key: svmKey },
        performance_service_level: { key: pslKey },
        access_control: {
          export_policy: {
            rules: [
              {
                ro_rule: ['sys'],
                rw_rule: ['sys', 'krb5'],
                clients: [{ match: '10.40.0.0/24' }],
                index: '1',
                protocols: ['nfs3', 'nfs4'],
              },
            ],
            'name-tag': 'nfs_data_policy',
          },
        },
      },
    });
    await completedJob(created);
    const shareKey = String(
      await resourceKey(
        sim,
        `${shares}?${q({ 'cluster.name': cluster, 'svm.name': svm, name: 'nfs_data' })}`,
      ),
    );
    const share = obj((await call(sim, 'GET', `${shares}/${shareKey}`)).body);
    expect(share).toMatchObject({
      mountpoint: '/nfs_data',
      space: { size: 100 * 1024 ** 2 },
      assigned_performance_service_level: { name: 'Performance' },
      assigned_storage_efficiency_policy: { name: expect.any(String) },
      access_control: { export_policy: { name: 'nfs_data_policy' } },
    });
    const policyKey = await resourceKey(
      sim,
      `/api/v2/datacenter/protocols/nfs/export-policies?${q({ name: 'nfs_data_policy', 'svm.name': svm, 'cluster.name': cluster })}`,
    );
    expect(policyKey).toBe(obj(obj(share.access_control).export_policy).key);

    // A share with an existing policy named by the playbook: A97 looks its key up first.
    const defaultKey = await resourceKey(
      sim,
      `/api/v2/datacenter/protocols/nfs/export-policies?${q({ name: 'default', 'svm.name': svm, 'cluster.name': cluster })}`,
    );
    await completedJob(
      await call(sim, 'POST', shares, {
        body: {
          space: { size: 100 * 1024 ** 2 },
          name: 'nfs_shared',
          svm: { key: svmKey },
          performance_service_level: { key: pslKey },
          access_control: { export_policy: { key: defaultKey } },
        },
      }),
    );

    // Run again with another PSL: exist(), GET by key, one PATCH.
    const valueKey = await resourceKey(
      sim,
      `/api/v2/storage-provider/performance-service-levels?${q({ name: 'Value' })}`,
    );
    await completedJob(
      await call(sim, 'PATCH', `${shares}/${shareKey}`, {
        body: { performance_service_level: { key: valueKey } },
      }),
    );
    expect(obj((await call(sim, 'GET', `${shares}/${shareKey}`)).body)).toMatchObject({
      assigned_performance_service_level: { name: 'Value' },
    });
  });

  it('CIFS share (aiqum_cifs_share_provision.yml): ACLs in the POST, then an ACL PATCH', async () => {
    const shares = '/api/v2/storage-provider/file-shares';
    const svmKey = await svmKeyLikeA97();
    const pslKey = await resourceKey(
      sim,
      `/api/v2/storage-provider/performance-service-levels?${q({ name: 'Value' })}`,
    );
    await completedJob(
      await call(sim, 'POST', shares, {
        body: {
          space: { size: 200 * 1024 ** 2 },
          mountpoint: '/cifs_team',
          name: 'cifs_team',
          svm: { key: svmKey },
          performance_service_level: { key: pslKey },
          access_control: { acl: [{ permission: 'full_control', user_or_group: 'everyone' }] },
        },
      }),
    );
    const key = String(
      await resourceKey(
        sim,
        `${shares}?${q({ 'cluster.name': cluster, 'svm.name': svm, name: 'cifs_team' })}`,
      ),
    );
    await completedJob(
      await call(sim, 'PATCH', `${shares}/${key}`, {
        body: { access_control: { acl: [{ permission: 'read', user_or_group: 'everyone' }] } },
      }),
    );
    expect(obj((await call(sim, 'GET', `${shares}/${key}`)).body)).toMatchObject({
      access_control: { acl: [{ permission: 'read', user_or_group: 'everyone' }] },
    });
  });

  it('performance service level (aiqum_performance_service_levels): POST 201, PATCH 200, DELETE 200', async () => {
    const path = '/api/v2/storage-provider/performance-service-levels';
    expect(await resourceKey(sim, `${path}?${q({ name: 'Gold' })}`)).toBeUndefined();
    const body = {
      latency: { expected: 4 },
      name: 'Gold',
      description: 'for databases',
      iops: {
        absolute_min_iops: 500,
        expected_iops_per_tb: 1000,
        peak_iops_allocation_policy: 'used_space',
        peak_iops_per_tb: 3000,
      },
    };
    const created = await call(sim, 'POST', path, { body });
    expect(created.status).toBe(201);
    expect(obj(created.body)).toMatchObject({ ...body, key: expect.any(String), system_defined: false });
    const key = String(await resourceKey(sim, `${path}?${q({ name: 'Gold' })}`));
    // Run again: PATCH with every property, the name included.
    const patched = await call(sim, 'PATCH', `${path}/${key}`, {
      body: { ...body, iops: { ...body.iops, peak_iops_per_tb: 4000 } },
    });
    expect(patched.status).toBe(200);
    expect(obj(obj(patched.body).iops).peak_iops_per_tb).toBe(4000);
    expect((await call(sim, 'DELETE', `${path}/${key}`)).status).toBe(200);
    expect(await resourceKey(sim, `${path}?${q({ name: 'Gold' })}`)).toBeUndefined();
  });

  it('storage efficiency policy (aiqum_storage_efficiency_policies): POST 201, PATCH 200, DELETE 200', async () => {
    const path = '/api/v2/storage-provider/storage-efficiency-policies';
    expect(await resourceKey(sim, `${path}?${q({ name: 'Thin' })}`)).toBeUndefined();
    const body = {
      name: 'Thin',
      space_thin_provisioned: true,
      compression: 'inline',
      deduplication: 'background',
    };
    const created = await call(sim, 'POST', path, { body });
    expect(created.status).toBe(201);
    expect(obj(created.body)).toMatchObject({ ...body, key: expect.any(String) });
    const key = String(await resourceKey(sim, `${path}?${q({ name: 'Thin' })}`));
    const patched = await call(sim, 'PATCH', `${path}/${key}`, { body: { ...body, compression: 'none' } });
    expect(patched.status).toBe(200);
    expect(obj(patched.body).compression).toBe('none');
    expect((await call(sim, 'DELETE', `${path}/${key}`)).status).toBe(200);
  });

  it('datasource (aiqum_clusters): found by listing and matching address; POST 201, PATCH 200, DELETE 200', async () => {
    // A97 (9.7) uses /api/v2/admin/datasources/clusters.
    const path = '/api/v2/admin/datasources/clusters';
    const keyOf = async (address: string) => {
      const answer = await call(sim, 'GET', path);
      expect(answer.status).toBe(200);
      return records(answer.body).find((r) => r.address === address)?.key;
    };
    expect(await keyOf('10.10.9.10')).toBeUndefined();
    const created = await call(sim, 'POST', path, {
      body: { address: '10.10.9.10', password: 'secret', port: 443, protocol: 'https', username: 'admin' },
    });
    expect(created.status).toBe(201);
    expect(obj(created.body)).toMatchObject({ address: '10.10.9.10', key: expect.any(String) });
    expect(JSON.stringify(created.body)).not.toContain('secret');
    const key = String(await keyOf('10.10.9.10'));
    expect(
      (await call(sim, 'PATCH', `${path}/${key}`, { body: { username: 'monitor', password: 'other' } }))
        .status,
    ).toBe(200);
    expect((await call(sim, 'DELETE', `${path}/${key}`)).status).toBe(200);
    expect(await keyOf('10.10.9.10')).toBeUndefined();
  });

  it('UMI listings with max_records 1 follow _links.next to every record', async () => {
    // UMI's get(): /api/<api> with max_records as a parameter, then each _links.next.href as the whole request.
    const list = async (api: string): Promise<Array<Record<string, unknown>>> => {
      const [base, extra] = api.split('?');
      const params = new URLSearchParams(extra);
      params.set('max_records', '1');
      let path: string | undefined = `/api/${base}?${params.toString()}`;
      const all: Array<Record<string, unknown>> = [];
      let total = -1;
      while (path !== undefined) {
        const answer = await call(sim, 'GET', path);
        expect(answer.status).toBe(200);
        const page = obj(answer.body);
        expect(page._links).toBeDefined();
        expect(page.num_records).toBeLessThanOrEqual(1);
        total = Number(page.total_records);
        all.push(...records(page));
        const next = obj(page._links).next;
        path = next === undefined ? undefined : String(obj(next).href);
        // Complete: every parameter of the request is in the next link.
        if (path !== undefined) {
          const nextParams = new URL(path, sim.url).searchParams;
          for (const [name, value] of params) expect(nextParams.get(name)).toBe(value);
        }
      }
      expect(all).toHaveLength(total);
      return all;
    };
    const nodes = await list('datacenter/cluster/nodes?order_by=performance_capacity.used');
    expect(nodes.length).toBe(4);
    const used = nodes.map((n) => Number(obj(n.performance_capacity).used));
    expect(used).toEqual([...used].sort((a, b) => a - b));
    for (const node of nodes) {
      expect(node).toMatchObject({
        key: expect.any(String),
        name: expect.any(String),
        uuid: expect.any(String),
      });
      expect(node).toMatchObject({ cluster: { key: expect.any(String), name: expect.any(String) } });
    }
    expect((await list('datacenter/cluster/clusters')).map((c) => c.name)).toEqual([
      'cluster-01',
      'cluster-02',
    ]);
    expect((await list('datacenter/svm/svms')).length).toBeGreaterThanOrEqual(4);
    expect((await list('datacenter/storage/aggregates')).length).toBe(4);
    const volumes = await list('datacenter/storage/volumes');
    expect(volumes.length).toBeGreaterThan(0);
    expect(volumes[0]).toMatchObject({
      key: expect.any(String),
      name: expect.any(String),
      svm: { name: expect.any(String) },
    });
  });
});
