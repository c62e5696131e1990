import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, seedInventoryKeys, startSimulator } from '../src/index.js';
import { call, jobKeyOf, lunBody, obj, records } from './helpers.js';

describe('collections', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ tls: false, seed: 7 });
  });
  afterAll(() => sim.close());

  it('serves the seeded inventory under /api/ and /api/v2/', async () => {
    const clusters = await call(sim, 'GET', '/api/datacenter/cluster/clusters');
    expect(clusters.status).toBe(200);
    expect(records(clusters.body).map((c) => c.name)).toEqual(['cluster-01', 'cluster-02']);
    expect(obj(clusters.body)).toMatchObject({ num_records: 2, total_records: 2 });
    expect(records((await call(sim, 'GET', '/api/v2/datacenter/cluster/clusters')).body)).toEqual(
      records(clusters.body),
    );

    const psls = records((await call(sim, 'GET', '/api/storage-provider/performance-service-levels')).body);
    expect(psls.map((p) => p.name)).toEqual(['Extreme Performance', 'Performance', 'Value']);
    const seps = records((await call(sim, 'GET', '/api/storage-provider/storage-efficiency-policies')).body);
    expect(seps.map((p) => p.name)).toEqual(['Default', 'None']);
    expect(records((await call(sim, 'GET', '/api/datacenter/storage/aggregates')).body)).toHaveLength(4);
    expect(
      records((await call(sim, 'GET', '/api/storage-provider/file-shares')).body).length,
    ).toBeGreaterThan(0);
    expect(
      records((await call(sim, 'GET', '/api/storage-provider/access-endpoints')).body).length,
    ).toBeGreaterThan(0);
  });

  it('looks records up by name, by dotted fields, with | and *', async () => {
    const vs1 = records((await call(sim, 'GET', '/api/datacenter/svm/svms?name=vs1')).body);
    expect(vs1).toHaveLength(1);
    expect(vs1[0]).toMatchObject({ name: 'vs1', cluster: { name: 'cluster-01' } });
    expect(String(vs1[0]?.key)).toMatch(/^[0-9a-f-]+:type=vserver,uuid=[0-9a-f-]+$/);

    const lunsOnVs1 = records((await call(sim, 'GET', '/api/storage-provider/luns?svm.name=vs1')).body);
    expect(lunsOnVs1.map((l) => l.name)).toEqual(['/vol/vol_db01/lun_db01', '/vol/vol_db01/lun_db02']);
    const either = records((await call(sim, 'GET', '/api/storage-provider/luns?svm.name=vs1|vs2')).body);
    expect(either).toHaveLength(3);
    const wildcard = records((await call(sim, 'GET', '/api/storage-provider/luns?name=*lun_db*')).body);
    expect(wildcard.map((l) => l.name)).toEqual([
      '/vol/vol_db01/lun_db01',
      '/vol/vol_db01/lun_db02',
      '/vol/vol_db03/lun_db03',
    ]);
    const byVolume = records(
      (await call(sim, 'GET', '/api/storage-provider/luns?volume.name=vol_app01')).body,
    );
    expect(byVolume.map((l) => l.name)).toEqual(['/vol/vol_app01/lun_app01']);
    const byIgroup = records(
      (await call(sim, 'GET', '/api/storage-provider/luns?lun_maps.igroup.name=ig_linux_vs1')).body,
    );
    expect(byIgroup.map((l) => l.name)).toEqual(['/vol/vol_db01/lun_db01']);
    const byCluster = records(
      (
        await call(
          sim,
          'GET',
          `/api/storage-provider/luns?cluster.name=${encodeURIComponent('cluster-02')}&svm.name=vs3`,
        )
      ).body,
    );
    expect(byCluster.map((l) => l.name)).toEqual(['/vol/vol_db03/lun_db03']);
    expect(records((await call(sim, 'GET', '/api/storage-provider/luns?name=nothing*')).body)).toEqual([]);

    const psl = records(
      (
        await call(
          sim,
          'GET',
          `/api/storage-provider/performance-service-levels?name=${encodeURIComponent('Extreme Performance')}`,
        )
      ).body,
    );
    expect(psl).toHaveLength(1);
    const byKey = await call(
      sim,
      'GET',
      `/api/storage-provider/performance-service-levels/${encodeURIComponent(String(psl[0]?.key))}`,
    );
    expect(obj(byKey.body).name).toBe('Extreme Performance');
  });

  it('orders and pages, with _links.next carrying offset and max_records', async () => {
    const desc = records((await call(sim, 'GET', '/api/datacenter/svm/svms?order_by=name%20desc')).body);
    expect(desc.map((s) => s.name)).toEqual(['vs4', 'vs3', 'vs2', 'vs1']);

    const names: unknown[] = [];
    let path: string | undefined = '/api/datacenter/svm/svms?order_by=name&max_records=3';
    const pages: number[] = [];
    while (path !== undefined) {
      const page = obj((await call(sim, 'GET', path)).body);
      pages.push(Number(page.num_records));
      expect(page.total_records).toBe(4);
      names.push(...records(page).map((s) => s.name));
      const next = obj(page._links).next;
      path = next === undefined ? undefined : String(obj(next).href);
      if (path !== undefined) expect(path).toMatch(/offset=3/);
    }
    expect(pages).toEqual([3, 1]);
    expect(names).toEqual(['vs1', 'vs2', 'vs3', 'vs4']);

    const bad = await call(sim, 'GET', '/api/datacenter/svm/svms?max_records=-1');
    expect(bad.status).toBe(400);
    expect(obj(obj(bad.body).error).target).toBe('max_records');
  });

  it('caps a page at 1000 records whatever max_records says', async () => {
    const names = Array.from({ length: 1001 }, (_, i) => `ig_bulk_${i}`);
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(
        names.slice(i, i + 50).map(async (name) => {
          const created = await call(sim, 'POST', '/api/datacenter/protocols/san/igroups', {
            body: { name, os_type: 'linux', svm: { key: seedInventoryKeys(7).svms.vs4 } },
          });
          expect(created.status).toBe(201);
        }),
      );
    }
    const page = obj((await call(sim, 'GET', '/api/datacenter/protocols/san/igroups?max_records=5000')).body);
    expect(page.num_records).toBe(1000);
    expect(page.total_records).toBe(1004);
    expect(String(obj(obj(page._links).next).href)).toContain('offset=1000');
    const rest = obj((await call(sim, 'GET', '/api/datacenter/protocols/san/igroups?offset=1000')).body);
    expect(rest.num_records).toBe(4);
    expect(obj(rest._links).next).toBeUndefined();
  });

  it('lists jobs newest first, only the last 20 without filters', async () => {
    const keys: string[] = [];
    for (let i = 0; i < 25; i++) {
      keys.push(
        jobKeyOf(
          (await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody(`list_${i}`, {}, 7) })).body,
        ),
      );
    }
    const listed = records((await call(sim, 'GET', '/api/management-server/jobs')).body);
    expect(listed.map((j) => j.key)).toEqual(keys.slice(5).reverse());
    const filtered = records(
      (await call(sim, 'GET', `/api/management-server/jobs?name=${encodeURIComponent('Provision LUN')}`))
        .body,
    );
    expect(filtered).toHaveLength(25);
    const byKey = records(
      (await call(sim, 'GET', `/api/management-server/jobs?key=${encodeURIComponent(keys[0] ?? '')}`)).body,
    );
    expect(byKey.map((j) => j.key)).toEqual([keys[0]]);
    const running = records(
      (await call(sim, 'GET', '/api/management-server/jobs?state=running|completed')).body,
    );
    expect(running).toHaveLength(25);
  });
});
