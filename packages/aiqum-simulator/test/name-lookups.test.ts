import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.js';
import { call, jobKeyOf, keys, lunBody, obj, records, waitForJob } from './helpers.js';

/**
 * Every lookup of the worker's name resolver (`objectKinds` of packages/core/src/name-references.ts: the
 * simulator does not depend on core, so the collections are listed here; keep them in step), made as the
 * client makes them: each value through `exactFilterValue`, percent-encoded by `list()`. The simulator must
 * find exactly the named object, and nothing when a qualifier names another SVM or cluster.
 */

// The client's rule (packages/aiqum-client/src/filter-value.ts): quote a value holding a query character,
// whitespace or a quote, and escape an embedded quote as \".
const needsQuotes = /[|*!<>,"\s]|\.\./;
function exactFilterValue(value: string): string {
  return needsQuotes.test(value) ? `"${value.replaceAll('"', '\\"')}"` : value;
}

// As the client's `list()` encodes a filter: percent-encoded, `|` left as itself.
function encodeFilterValue(value: string): string {
  return encodeURIComponent(value).replaceAll('%7C', '|');
}

type Qualifier = 'svm' | 'cluster';

interface Lookup {
  kind: string;
  collection: string;
  /** `name`, or none for a kind looked up by its SVM alone (an Active Directory mapping). */
  name?: string;
  svm?: string;
  cluster?: string;
  /** The qualifiers of the kind, in name-references.ts. */
  qualifiers: Qualifier[];
}

function lookupPath(lookup: Lookup, override: Partial<Record<Qualifier, string>> = {}): string {
  const filters: Array<[string, string]> = [];
  if (lookup.name !== undefined) filters.push(['name', lookup.name]);
  const svm = override.svm ?? lookup.svm;
  const cluster = override.cluster ?? lookup.cluster;
  if (svm !== undefined) filters.push(['svm.name', svm]);
  if (cluster !== undefined) filters.push(['cluster.name', cluster]);
  const query = filters.map(([field, value]) => `${field}=${encodeFilterValue(exactFilterValue(value))}`);
  return `${lookup.collection}?${[...query, 'max_records=1000'].join('&')}`;
}

/** The first record of a collection GET that matches `where`, by key. */
async function keyOf(sim: Simulator, path: string, where: (r: Record<string, unknown>) => boolean) {
  const found = records((await call(sim, 'GET', path)).body).find(where);
  if (typeof found?.key !== 'string') throw new Error(`nothing in ${path}`);
  return found.key;
}

const named = (name: string) => (r: Record<string, unknown>) => r.name === name;

describe('name lookups of the worker resolver', () => {
  let sim: Simulator;
  /** Lookups and the key each must find. */
  let cases: Array<{ lookup: Lookup; key: string }>;

  beforeAll(async () => {
    sim = await startSimulator({ tls: false });
    // Names that need quotes: spaces, every filter operator, a comma and an embedded quote.
    const oddNames = ['Gold | tier *1', 'Bronze, slow', '!Silver', '1..5', '<10 ms', 'say "fast"'];
    const pslKeys: Record<string, string> = {};
    for (const name of oddNames) {
      const created = await call(sim, 'POST', '/api/storage-provider/performance-service-levels', {
        body: {
          name,
          latency: { expected: 5 },
          iops: { expected_iops_per_tb: 1000, peak_iops_per_tb: 2000 },
        },
      });
      expect(created.status).toBe(201);
      pslKeys[name] = String(obj(created.body).key);
    }
    // A LUN in a new volume: its name is its path, /vol/AIQUM_vol_x/x.
    const lun = await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody('x') });
    expect(lun.status).toBe(202);
    expect((await waitForJob(sim, jobKeyOf(lun.body))).status).toBe('normal');

    const at = { svm: 'vs1', cluster: 'cluster-01' } as const;
    const both: Qualifier[] = ['svm', 'cluster'];
    const sp = '/api/storage-provider';
    const dc = '/api/datacenter';
    cases = [
      {
        lookup: { kind: 'cluster', collection: `${dc}/cluster/clusters`, name: 'cluster-01', qualifiers: [] },
        key: keys.clusters['cluster-01'] ?? '',
      },
      {
        lookup: {
          kind: 'svm',
          collection: `${dc}/svm/svms`,
          name: 'vs1',
          cluster: 'cluster-01',
          qualifiers: ['cluster'],
        },
        key: keys.svms.vs1 ?? '',
      },
      {
        lookup: {
          kind: 'aggregate',
          collection: `${dc}/storage/aggregates`,
          name: 'aggr1_01',
          cluster: 'cluster-01',
          qualifiers: ['cluster'],
        },
        key: keys.aggregates.aggr1_01 ?? '',
      },
      {
        lookup: {
          kind: 'volume',
          collection: `${dc}/storage/volumes`,
          name: 'vol_db01',
          ...at,
          qualifiers: both,
        },
        key: keys.volumes.vol_db01 ?? '',
      },
      {
        lookup: {
          kind: 'igroup',
          collection: `${dc}/protocols/san/igroups`,
          name: 'ig_linux_vs1',
          ...at,
          qualifiers: both,
        },
        key: keys.igroups.ig_linux_vs1 ?? '',
      },
      {
        lookup: {
          kind: 'exportPolicy',
          collection: `${dc}/protocols/nfs/export-policies`,
          name: 'default',
          ...at,
          qualifiers: both,
        },
        key: keys.exportPolicies['vs1/default'] ?? '',
      },
      {
        lookup: {
          kind: 'performanceServiceLevel',
          collection: `${sp}/performance-service-levels`,
          name: 'Extreme Performance',
          qualifiers: [],
        },
        key: keys.performanceServiceLevels['Extreme Performance'] ?? '',
      },
      ...oddNames.map((name) => ({
        lookup: {
          kind: 'performanceServiceLevel',
          collection: `${sp}/performance-service-levels`,
          name,
          qualifiers: [] as Qualifier[],
        },
        key: pslKeys[name] ?? '',
      })),
      {
        lookup: {
          kind: 'storageEfficiencyPolicy',
          collection: `${sp}/storage-efficiency-policies`,
          name: 'Default',
          qualifiers: [],
        },
        key: keys.storageEfficiencyPolicies.Default ?? '',
      },
      {
        lookup: {
          kind: 'activeDirectoryMapping',
          collection: `${sp}/active-directories-mappings`,
          ...at,
          qualifiers: both,
        },
        key: keys.activeDirectoryMappings.vs1 ?? '',
      },
      {
        lookup: {
          kind: 'lun',
          collection: `${sp}/luns`,
          name: '/vol/vol_db01/lun_db01',
          ...at,
          qualifiers: both,
        },
        key: await keyOf(sim, `${sp}/luns`, named('/vol/vol_db01/lun_db01')),
      },
      {
        lookup: {
          kind: 'lun',
          collection: `${sp}/luns`,
          name: '/vol/AIQUM_vol_x/x',
          ...at,
          qualifiers: both,
        },
        key: await keyOf(sim, `${sp}/luns`, named('/vol/AIQUM_vol_x/x')),
      },
      {
        lookup: {
          kind: 'fileShare',
          collection: `${sp}/file-shares`,
          name: 'fs_home',
          ...at,
          qualifiers: both,
        },
        key: await keyOf(sim, `${sp}/file-shares`, named('fs_home')),
      },
      {
        lookup: {
          kind: 'accessEndpoint',
          collection: `${sp}/access-endpoints`,
          name: 'ae_vs1_iscsi',
          ...at,
          qualifiers: both,
        },
        key: await keyOf(sim, `${sp}/access-endpoints`, named('ae_vs1_iscsi')),
      },
    ];
  });
  afterAll(() => sim.close());

  it('covers every kind of the table', () => {
    expect(new Set(cases.map((c) => c.lookup.kind))).toEqual(
      new Set([
        'cluster',
        'svm',
        'aggregate',
        'volume',
        'igroup',
        'exportPolicy',
        'performanceServiceLevel',
        'storageEfficiencyPolicy',
        'activeDirectoryMapping',
        'lun',
        'fileShare',
        'accessEndpoint',
      ]),
    );
    for (const { key } of cases) expect(key).not.toBe('');
  });

  it('finds exactly the named object with the qualifiers, under /api/ and /api/v2/', async () => {
    for (const { lookup, key } of cases) {
      const path = lookupPath(lookup);
      for (const versioned of [path, path.replace(/^\/api\//, '/api/v2/')]) {
        const answer = await call(sim, 'GET', versioned);
        expect(answer.status, versioned).toBe(200);
        expect(
          records(answer.body).map((r) => r.key),
          versioned,
        ).toEqual([key]);
      }
    }
  });

  it('does not find the object when a qualifier names another SVM or cluster', async () => {
    for (const { lookup, key } of cases) {
      for (const qualifier of lookup.qualifiers) {
        // vs2 is on the same cluster as vs1 (and has a "default" export policy of its own).
        const other = qualifier === 'svm' ? { svm: 'vs2' } : { cluster: 'cluster-02' };
        const path = lookupPath(lookup, other);
        expect(
          records((await call(sim, 'GET', path)).body).map((r) => r.key),
          path,
        ).not.toContain(key);
      }
    }
  });

  it('finds nothing for a name that is a prefix or a pattern of a real one', async () => {
    const psls = '/api/storage-provider/performance-service-levels';
    for (const name of ['Extreme', 'Extreme*', 'Gold | tier', 'Value|Performance']) {
      const path = lookupPath({ kind: 'psl', collection: psls, name, qualifiers: [] });
      expect(records((await call(sim, 'GET', path)).body), path).toEqual([]);
    }
  });
});
