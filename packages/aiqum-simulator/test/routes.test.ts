import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, seedInventoryKeys, startSimulator } from '../src/index.js';
import { call, jobKeyOf, keys, lunBody, obj, records, waitForJob } from './helpers.js';

const enc = encodeURIComponent;

/** The job's outcome in any dialect: `status` is the outcome, upper case in `docs`, lower case otherwise. */
async function outcome(sim: Simulator, answer: { status: number; body: unknown }): Promise<string> {
  expect(answer.status).toBe(202);
  return String((await waitForJob(sim, jobKeyOf(answer.body))).status).toLowerCase();
}

function errorOf(answer: { body: unknown }): Record<string, unknown> {
  return obj(obj(answer.body).error);
}

describe('write bodies take keys', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ tls: false, scenario: { rules: [{ job: { durationMs: 10 } }] } });
  });
  afterAll(() => sim.close());

  it('refuses a reference given by name: 400, the target names the key field, the message asks for a key', async () => {
    const cases: Array<[string, string, Record<string, unknown>, string]> = [
      ['POST', '/api/storage-provider/luns', lunBody('x', { svm: { name: 'vs1' } }), 'svm.key'],
      [
        'POST',
        '/api/storage-provider/luns',
        lunBody('x', { performance_service_level: { name: 'Value' } }),
        'performance_service_level.key',
      ],
      ['POST', '/api/storage-provider/luns', lunBody('x', { volume: { name: 'vol_db01' } }), 'volume.key'],
      [
        'POST',
        '/api/storage-provider/luns',
        lunBody('x', { lun_maps: [{ igroup: { name: 'ig_linux_vs1' } }] }),
        'lun_maps.0.igroup.key',
      ],
      [
        'POST',
        '/api/storage-provider/file-shares',
        {
          name: 'fs_x',
          svm: { key: keys.svms.vs1 },
          space: { size: 1024 ** 3 },
          performance_service_level: { key: keys.performanceServiceLevels.Value },
          access_control: { export_policy: { name: 'default' } },
        },
        'access_control.export_policy.key',
      ],
      ['POST', '/api/datacenter/svm/svms', { name: 'vs_x', cluster: { name: 'cluster-01' } }, 'cluster.key'],
    ];
    for (const [method, path, body, target] of cases) {
      const answer = await call(sim, method, path, { body });
      expect(answer.status, target).toBe(400);
      expect(errorOf(answer).target).toBe(target);
      expect(String(errorOf(answer).message)).toMatch(/key is required/);
    }
    expect(sim.stats().jobs.total).toBe(0);
  });

  it('LUN POST with volume.key puts the LUN in that volume; a volume of another SVM is a 400', async () => {
    const into = await call(sim, 'POST', '/api/storage-provider/luns', {
      body: lunBody('lun_in_db01', { volume: { key: keys.volumes.vol_db01 } }),
    });
    expect(await outcome(sim, into)).toBe('normal');
    const found = records(
      (await call(sim, 'GET', `/api/storage-provider/luns?name=${enc('/vol/vol_db01/lun_in_db01')}`)).body,
    );
    expect(found).toHaveLength(1);
    const foreign = await call(sim, 'POST', '/api/storage-provider/luns', {
      body: lunBody('x', { volume: { key: keys.volumes.vol_db03 } }),
    });
    expect(errorOf(foreign).target).toBe('volume.key');
  });

  it('takes one property per LUN and file-share PATCH: several is a 400 naming the one too many', async () => {
    const lunKey = String(
      records(
        (await call(sim, 'GET', `/api/storage-provider/luns?name=${enc('/vol/vol_db01/lun_db01')}`)).body,
      )[0]?.key,
    );
    const two = await call(sim, 'PATCH', `/api/storage-provider/luns/${enc(lunKey)}`, {
      body: {
        space: { size: 99 * 1024 ** 3 },
        storage_efficiency_policy: { key: keys.storageEfficiencyPolicies.None },
      },
    });
    expect(two.status).toBe(400);
    expect(errorOf(two).target).toBe('storage_efficiency_policy');
    const shareKey = String(
      records((await call(sim, 'GET', '/api/storage-provider/file-shares?name=fs_home')).body)[0]?.key,
    );
    const shareTwo = await call(sim, 'PATCH', `/api/storage-provider/file-shares/${enc(shareKey)}`, {
      body: { operational_state: 'offline', space: { size: 1024 ** 3 } },
    });
    expect(errorOf(shareTwo).target).toBe('operational_state');
    const none = await call(sim, 'PATCH', `/api/storage-provider/luns/${enc(lunKey)}`, { body: {} });
    expect(errorOf(none).target).toBe('body');
  });
});

describe('synchronous catalogue writes and 409s', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ tls: false, scenario: { rules: [{ job: { durationMs: 10 } }] } });
  });
  afterAll(() => sim.close());

  it('refuses to change a system-defined PSL (400) and to delete one in use (409)', async () => {
    const value = `/api/storage-provider/performance-service-levels/${enc(keys.performanceServiceLevels.Value ?? '')}`;
    expect((await call(sim, 'PATCH', value, { body: { description: 'mine' } })).status).toBe(400);
    const created = await call(sim, 'POST', '/api/storage-provider/performance-service-levels', {
      body: {
        name: 'Silver',
        latency: { expected: 10 },
        iops: { expected_iops_per_tb: 500, peak_iops_per_tb: 1000 },
      },
    });
    expect(created.status).toBe(201);
    const silver = String(obj(created.body).key);
    expect(obj(created.body)).toMatchObject({
      iops: { absolute_min_iops: 100, peak_iops_allocation_policy: 'used_space' },
    });
    const again = await call(sim, 'POST', '/api/storage-provider/performance-service-levels', {
      body: {
        name: 'Silver',
        latency: { expected: 10 },
        iops: { expected_iops_per_tb: 500, peak_iops_per_tb: 1000 },
      },
    });
    expect(errorOf(again).target).toBe('name');
    const badPeak = await call(
      sim,
      'PATCH',
      `/api/storage-provider/performance-service-levels/${enc(silver)}`,
      {
        body: { iops: { peak_iops_per_tb: 10 } },
      },
    );
    expect(errorOf(badPeak).target).toBe('iops.peak_iops_per_tb');
    expect(
      await outcome(
        sim,
        await call(sim, 'POST', '/api/storage-provider/luns', {
          body: lunBody('lun_silver', { performance_service_level: { key: silver } }),
        }),
      ),
    ).toBe('normal');
    const inUse = await call(
      sim,
      'DELETE',
      `/api/storage-provider/performance-service-levels/${enc(silver)}`,
    );
    expect(inUse.status).toBe(409);
    expect(String(errorOf(inUse).message)).toContain('lun_silver');
  });

  it('changes igroups synchronously (200) and refuses to delete one still mapped (409)', async () => {
    const path = `/api/datacenter/protocols/san/igroups/${enc(keys.igroups.ig_linux_vs1 ?? '')}`;
    const mapped = await call(sim, 'DELETE', path);
    expect(mapped.status).toBe(409);
    const renamed = await call(sim, 'PATCH', path, { body: { name: 'ig_linux_hosts', os_type: 'LINUX' } });
    expect(renamed.status).toBe(200);
    expect(obj(renamed.body)).toMatchObject({ name: 'ig_linux_hosts', os_type: 'linux' });
    const lun = records(
      (await call(sim, 'GET', `/api/storage-provider/luns?name=${enc('/vol/vol_db01/lun_db01')}`)).body,
    )[0];
    expect(lun).toMatchObject({ lun_maps: [{ igroup: { name: 'ig_linux_hosts' } }] });
    const unmapped = keys.igroups.ig_windows_vs1 ?? '';
    expect((await call(sim, 'DELETE', `/api/datacenter/protocols/san/igroups/${enc(unmapped)}`)).status).toBe(
      200,
    );
    expect((await call(sim, 'GET', `/api/datacenter/protocols/san/igroups/${enc(unmapped)}`)).status).toBe(
      404,
    );
  });

  it('deletes an SVM with volumes only with force=true (409 without), as a job', async () => {
    const path = `/api/datacenter/svm/svms/${enc(keys.svms.vs3 ?? '')}`;
    const refused = await call(sim, 'DELETE', path);
    expect(refused.status).toBe(409);
    expect(errorOf(refused).target).toBe('force');
    expect(errorOf(await call(sim, 'DELETE', `${path}?force=yes`)).target).toBe('force');
    expect(await outcome(sim, await call(sim, 'DELETE', `${path}?force=true`))).toBe('normal');
    expect((await call(sim, 'GET', path)).status).toBe(404);
    expect(records((await call(sim, 'GET', '/api/datacenter/storage/volumes?svm.name=vs3')).body)).toEqual(
      [],
    );
    expect(records((await call(sim, 'GET', '/api/storage-provider/luns?svm.name=vs3')).body)).toEqual([]);
    // vs2 has a volume too; vs4 has none, so it goes without force.
    expect(
      await outcome(sim, await call(sim, 'DELETE', `/api/datacenter/svm/svms/${enc(keys.svms.vs4 ?? '')}`)),
    ).toBe('normal');
  });

  it('runs SVM and access-endpoint PATCHes as jobs', async () => {
    const svmPath = `/api/datacenter/svm/svms/${enc(keys.svms.vs2 ?? '')}`;
    expect(await outcome(sim, await call(sim, 'PATCH', svmPath, { body: { state: 'stopped' } }))).toBe(
      'normal',
    );
    expect(obj((await call(sim, 'GET', svmPath)).body).state).toBe('stopped');
    const endpoint = records(
      (await call(sim, 'GET', '/api/storage-provider/access-endpoints?name=ae_vs1_iscsi')).body,
    )[0];
    const endpointPath = `/api/storage-provider/access-endpoints/${enc(String(endpoint?.key))}`;
    const patched = await call(sim, 'PATCH', endpointPath, { body: { ip: { address: '10.20.0.99' } } });
    expect(await outcome(sim, patched)).toBe('normal');
    expect(obj((await call(sim, 'GET', endpointPath)).body)).toMatchObject({
      ip: { address: '10.20.0.99', netmask: '255.255.255.0' },
    });
  });

  it('answers data-placement with a 202 that is an aggregate, not a job', async () => {
    const all = await call(sim, 'POST', '/api/storage-provider/data-placement', { body: {} });
    expect(all.status).toBe(202);
    expect(obj(all.body).job).toBeUndefined();
    expect(obj(all.body)).toMatchObject({
      key: expect.stringContaining('type=aggregate'),
      space: { available: expect.any(Number) },
    });
    const onCluster2 = await call(sim, 'POST', '/api/storage-provider/data-placement', {
      body: { capacity: '10G', resource_keys: [keys.clusters['cluster-02']] },
    });
    expect(obj(obj(onCluster2.body).cluster).name).toBe('cluster-02');
    const tooBig = await call(sim, 'POST', '/api/storage-provider/data-placement', {
      body: { capacity: '9000P' },
    });
    expect(errorOf(tooBig).target).toBe('capacity');
  });

  it('lets only application administrators write datasources', async () => {
    const path = '/api/admin/datasources/clusters';
    const listed = records((await call(sim, 'GET', path, { user: 'operator' })).body);
    expect(listed.map((d) => d.address)).toEqual(['10.10.1.10', '10.10.2.10']);
    const body = { address: '10.1.1.1', username: 'a', password: 'b' };
    expect((await call(sim, 'POST', path, { user: 'storage', body })).status).toBe(403);
    expect((await call(sim, 'POST', path, { body })).status).toBe(201);
    expect(errorOf(await call(sim, 'POST', path, { body })).target).toBe('address');
  });

  it('lets storage administrators write under storage-provider only', async () => {
    const svm = { name: 'vs_by_storage', cluster: { key: keys.clusters['cluster-01'] } };
    expect((await call(sim, 'POST', '/api/datacenter/svm/svms', { user: 'storage', body: svm })).status).toBe(
      403,
    );
    const igroup = {
      name: 'ig_by_storage',
      os_type: 'linux',
      protocol: 'iscsi',
      svm: { key: keys.svms.vs1 },
    };
    expect(
      (await call(sim, 'POST', '/api/datacenter/protocols/san/igroups', { user: 'storage', body: igroup }))
        .status,
    ).toBe(403);
    const sep = {
      name: 'sep_by_storage',
      compression: 'none',
      deduplication: 'none',
      space_thin_provisioned: true,
    };
    expect(
      (
        await call(sim, 'POST', '/api/storage-provider/storage-efficiency-policies', {
          user: 'storage',
          body: sep,
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await call(sim, 'POST', '/api/storage-provider/storage-efficiency-policies', {
          user: 'operator',
          body: sep,
        })
      ).status,
    ).toBe(403);
  });
});

describe('collections', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ tls: false, defaultPageSize: 2 });
  });
  afterAll(() => sim.close());

  const names = async (path: string) => records((await call(sim, 'GET', path)).body).map((r) => r.name);

  it('pages datacenter collections by defaultPageSize, storage-provider ones by the cap', async () => {
    const page = obj((await call(sim, 'GET', '/api/v2/datacenter/svm/svms?name=vs*')).body);
    expect(page).toMatchObject({ num_records: 2, total_records: 4 });
    expect(obj(obj(page._links).next).href).toBe(
      '/api/v2/datacenter/svm/svms?name=vs*&offset=2&max_records=2',
    );
    expect(await names('/api/storage-provider/performance-service-levels')).toHaveLength(3);
    await using defaults = await startSimulator({ tls: false });
    const igroups = await call(defaults, 'GET', '/api/datacenter/protocols/san/igroups');
    expect(obj(igroups.body).num_records).toBe(3);
  });

  it('filters with !, <, >, .., | and *, and takes a double-quoted value literally', async () => {
    expect(await names('/api/datacenter/svm/svms?name=!vs1&max_records=10')).toEqual(['vs2', 'vs3', 'vs4']);
    expect(await names('/api/datacenter/svm/svms?name=%3Evs2&max_records=10')).toEqual(['vs3', 'vs4']);
    expect(await names('/api/datacenter/svm/svms?name=vs2..vs3&max_records=10')).toEqual(['vs2', 'vs3']);
    expect(await names('/api/datacenter/svm/svms?name=%3C%3Dvs2|vs4&max_records=10')).toEqual([
      'vs1',
      'vs2',
      'vs4',
    ]);
    expect(
      await names(
        '/api/storage-provider/performance-service-levels?latency.expected=%3C5&order_by=latency.expected',
      ),
    ).toEqual(['Extreme Performance', 'Performance']);
    expect(await names('/api/datacenter/svm/svms?name=%22vs*%22')).toEqual([]);
    expect(await names('/api/datacenter/svm/svms?name=%22vs1%22')).toEqual(['vs1']);
  });

  it('orders by a comma-separated list of fields, each asc or desc', async () => {
    expect(
      await names('/api/datacenter/svm/svms?order_by=cluster.name%20desc,name%20asc&max_records=10'),
    ).toEqual(['vs3', 'vs4', 'vs1', 'vs2']);
    const bad = await call(sim, 'GET', '/api/datacenter/svm/svms?order_by=name%20sideways');
    expect(errorOf(bad).target).toBe('order_by');
  });

  it('searches storage-provider collections with query= (contains, any case)', async () => {
    expect(await names('/api/storage-provider/performance-service-levels?query=PERF')).toEqual([
      'Extreme Performance',
      'Performance',
    ]);
  });

  it('serves nodes and the seeded export policies', async () => {
    const nodes = records(
      (await call(sim, 'GET', '/api/datacenter/cluster/nodes?cluster.name=cluster-01')).body,
    );
    expect(nodes.map((n) => n.name)).toEqual(['cluster-01-01', 'cluster-01-02']);
    expect(nodes[0]).toMatchObject({
      ha: { partners: [{ name: 'cluster-01-02' }] },
      key: expect.stringContaining('type=cluster_node'),
    });
    const policies = records(
      (await call(sim, 'GET', '/api/datacenter/protocols/nfs/export-policies?svm.name=vs1&max_records=10'))
        .body,
    );
    expect(policies.map((p) => p.name)).toEqual(['default', 'ep_hosts']);
  });
});

describe('gateway', () => {
  it('lets everyone read through the gateway and only application administrators write', async () => {
    await using sim = await startSimulator({ tls: false });
    const gateways = records((await call(sim, 'GET', '/api/gateways', { user: 'operator' })).body);
    expect(gateways[0]).toMatchObject({
      uuid: expect.any(String),
      name: 'cluster-01',
      ip_address: '10.10.1.10',
    });
    const path = `/api/gateways/${gateways[0]?.uuid}/storage/volumes`;
    expect((await call(sim, 'GET', path, { user: 'storage' })).status).toBe(200);
    const body = { name: 'gw_x', svm: { name: 'vs1' }, aggregates: [{ name: 'aggr1_01' }], size: 1024 ** 3 };
    expect((await call(sim, 'POST', path, { user: 'storage', body })).status).toBe(403);
    expect((await call(sim, 'POST', path, { body })).status).toBe(202);
  });

  it('answers 403 to every gateway call when the gateway is switched off', async () => {
    await using sim = await startSimulator({ tls: false, gateway: false });
    const answer = await call(sim, 'GET', '/api/gateways');
    expect(answer.status).toBe(403);
    expect(String(errorOf(answer).message)).toMatch(/disabled/);
  });
});

describe('seedInventoryKeys', () => {
  it('gives the keys a simulator with that seed serves, the same for the same seed', async () => {
    await using sim = await startSimulator({ tls: false, seed: 5 });
    const seeded = seedInventoryKeys(5);
    expect(seedInventoryKeys(5)).toEqual(seeded);
    expect(seedInventoryKeys(6).svms.vs1).not.toBe(seeded.svms.vs1);
    const svms = records((await call(sim, 'GET', '/api/datacenter/svm/svms')).body);
    expect(Object.fromEntries(svms.map((s) => [s.name, s.key]))).toEqual(seeded.svms);
    expect(Object.keys(seeded.exportPolicies)).toContain('vs1/default');
    expect(Object.keys(seeded.performanceServiceLevels)).toEqual([
      'Extreme Performance',
      'Performance',
      'Value',
    ]);
  });
});
