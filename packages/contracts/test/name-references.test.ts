import { describe, expect, it } from 'vitest';
import { applyResolvedReferences, findNameReferences, requestInputSchema } from '../src/index.js';

const luns = '/api/storage-provider/luns';
const fileShares = '/api/storage-provider/file-shares';
const vs1 = { name: 'vs1', cluster: { name: 'cluster-01' } };

/** The issues of a request, as `path: message` lines. */
function issuesOf(request: { path: string; body?: unknown; object?: unknown }): string[] {
  return findNameReferences(request).issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('findNameReferences: where a write may name an object', () => {
  it('finds every reference field of a LUN, with each igroup of lun_maps and the qualifiers of its SVM', () => {
    const { references, issues } = findNameReferences({
      path: luns,
      body: {
        name: 'db01',
        svm: vs1,
        volume: { name: 'vol_db' },
        aggregate: { name: 'aggr1' },
        performance_service_level: { name: 'Performance' },
        storage_efficiency_policy: { name: 'Thin' },
        lun_maps: [{ igroup: { name: 'ig_a' } }, { igroup: { name: 'ig_b', svm: { name: 'vs2' } } }],
      },
    });
    expect(issues).toEqual([]);
    expect(references).toEqual([
      { field: 'svm', kind: 'svm', reference: vs1 },
      {
        field: 'volume',
        kind: 'volume',
        reference: { name: 'vol_db', svm: { name: 'vs1' }, cluster: vs1.cluster },
      },
      { field: 'aggregate', kind: 'aggregate', reference: { name: 'aggr1', cluster: vs1.cluster } },
      {
        field: 'performance_service_level',
        kind: 'performanceServiceLevel',
        reference: { name: 'Performance' },
      },
      { field: 'storage_efficiency_policy', kind: 'storageEfficiencyPolicy', reference: { name: 'Thin' } },
      {
        field: 'lun_maps.0.igroup',
        kind: 'igroup',
        reference: { name: 'ig_a', svm: { name: 'vs1' }, cluster: vs1.cluster },
      },
      // An SVM of its own is kept; the cluster of the write is still inherited.
      {
        field: 'lun_maps.1.igroup',
        kind: 'igroup',
        reference: { name: 'ig_b', svm: { name: 'vs2' }, cluster: vs1.cluster },
      },
    ]);
  });

  it('finds the references of a file share: export policy and AD mapping by their SVM', () => {
    const { references, issues } = findNameReferences({
      path: fileShares,
      body: {
        name: 'share1',
        svm: { name: 'vs1' },
        aggregate: { name: 'aggr1', cluster: { name: 'cluster-02' } },
        performance_service_level: { name: 'Value' },
        storage_efficiency_policy: { name: 'Thin' },
        access_control: {
          export_policy: { name: 'default' },
          active_directory_mapping: { svm: { name: 'vs1' } },
        },
      },
    });
    expect(issues).toEqual([]);
    expect(references).toEqual([
      { field: 'svm', kind: 'svm', reference: { name: 'vs1' } },
      {
        field: 'aggregate',
        kind: 'aggregate',
        reference: { name: 'aggr1', cluster: { name: 'cluster-02' } },
      },
      { field: 'performance_service_level', kind: 'performanceServiceLevel', reference: { name: 'Value' } },
      { field: 'storage_efficiency_policy', kind: 'storageEfficiencyPolicy', reference: { name: 'Thin' } },
      {
        field: 'access_control.export_policy',
        kind: 'exportPolicy',
        reference: { name: 'default', svm: { name: 'vs1' } },
      },
      {
        field: 'access_control.active_directory_mapping',
        kind: 'activeDirectoryMapping',
        reference: { svm: { name: 'vs1' } },
      },
    ]);
  });

  it('finds the references of access endpoints, igroups and SVMs', () => {
    expect(
      findNameReferences({
        path: '/api/storage-provider/access-endpoints',
        body: { svm: vs1, lun: { name: '/vol/v/db01' }, fileshare: { name: 'share1' } },
      }).references.map(({ field, kind, reference }) => [field, kind, reference]),
    ).toEqual([
      ['svm', 'svm', vs1],
      ['lun', 'lun', { name: '/vol/v/db01', svm: { name: 'vs1' }, cluster: vs1.cluster }],
      ['fileshare', 'fileShare', { name: 'share1', svm: { name: 'vs1' }, cluster: vs1.cluster }],
    ]);
    expect(
      findNameReferences({ path: '/api/datacenter/protocols/san/igroups', body: { name: 'ig', svm: vs1 } })
        .references,
    ).toEqual([{ field: 'svm', kind: 'svm', reference: vs1 }]);
    expect(
      findNameReferences({ path: '/api/datacenter/svm/svms', body: { name: 'vs9', cluster: { name: 'c1' } } })
        .references,
    ).toEqual([{ field: 'cluster', kind: 'cluster', reference: { name: 'c1' } }]);
  });

  it('reads /api/v2/ paths and the body of a write to one object as those of the collection', () => {
    const body = { performance_service_level: { name: 'Extreme' } };
    const expected = [
      { field: 'performance_service_level', kind: 'performanceServiceLevel', reference: { name: 'Extreme' } },
    ];
    expect(findNameReferences({ path: `/api/v2/storage-provider/luns?x=1`, body }).references).toEqual(
      expected,
    );
    expect(findNameReferences({ path: `${luns}/lun-key-1`, body }).references).toEqual(expected);
  });

  it('leaves key references and descriptions of new objects alone', () => {
    const { references, issues } = findNameReferences({
      path: luns,
      body: {
        svm: { key: 'svm-key', _links: { self: { href: '/x' } } },
        volume: { name_tag: 'db' },
        lun_maps: [{ igroup: { key: 'ig-key' }, logical_unit_number: 3 }],
      },
    });
    expect(issues).toEqual([]);
    expect(references).toEqual([]);
    expect(
      findNameReferences({
        path: fileShares,
        body: { svm: { key: 'k' }, access_control: { export_policy: { rules: [], 'name-tag': 'p' } } },
      }),
    ).toEqual({ references: [], issues: [] });
  });

  it('never looks at the body of a gateway call, nor of writes that take no names', () => {
    for (const path of [
      '/api/gateways/4ea7a442-86d1-11e0-ae1c-123478563412/storage/luns',
      '/api/gateways/4ea7a442-86d1-11e0-ae1c-123478563412/protocols/san/igroups',
      '/api/management-server/events/e1',
    ]) {
      const body = { svm: { name: 'vs1', uuid: 'u' }, lun_maps: [{ igroup: 'not even an object' }] };
      expect(findNameReferences({ path, body }), path).toEqual({ references: [], issues: [] });
    }
  });
});

describe('findNameReferences: malformed references', () => {
  it('refuses a key beside a name, and an empty key', () => {
    expect(issuesOf({ path: luns, body: { svm: { key: 'k', name: 'vs1' } } })).toEqual([
      'body.svm.name: give either "key" or the name with its qualifiers, not both',
    ]);
    expect(issuesOf({ path: luns, body: { svm: { key: '' } } })).toEqual([
      'body.svm.key: must be a non-empty string',
    ]);
  });

  it('refuses unknown fields with their path, and a reference that is not an object', () => {
    expect(
      issuesOf({
        path: luns,
        body: { svm: vs1, lun_maps: [{ igroup: { name: 'a' } }, { igroup: { name: 'b', uuid: 'u' } }] },
      }),
    ).toEqual([
      'body.lun_maps.1.igroup.uuid: an initiator group is given by "key", or named by "name", "svm", "cluster": not "uuid"',
    ]);
    expect(issuesOf({ path: luns, body: { performance_service_level: 'Extreme' } })).toEqual([
      'body.performance_service_level: must be an object: {"key": ...}, or "name"',
    ]);
    expect(issuesOf({ path: luns, body: { volume: { name: 'v', name_tag: 't' } } })).toEqual([
      'body.volume.name_tag: a volume is given by "key", or named by "name", "svm", "cluster": not "name_tag"',
    ]);
  });

  it('refuses a qualifier the kind does not take, and a malformed qualifier', () => {
    expect(
      issuesOf({ path: luns, body: { performance_service_level: { name: 'P', svm: { name: 'vs1' } } } }),
    ).toEqual(['body.performance_service_level.svm: a performance service level is not qualified by an SVM']);
    expect(issuesOf({ path: luns, body: { aggregate: { name: 'a', svm: { name: 'vs1' } } } })).toEqual([
      'body.aggregate.svm: an aggregate is not qualified by an SVM',
    ]);
    expect(issuesOf({ path: luns, body: { svm: { name: 'vs1', svm: { name: 'vs2' } } } })).toEqual([
      'body.svm.svm: an SVM is not qualified by an SVM',
    ]);
    expect(issuesOf({ path: luns, body: { svm: { name: 'vs1', cluster: 'c1' } } })).toEqual([
      'body.svm.cluster: Invalid input: expected object, received string',
    ]);
    expect(
      issuesOf({
        path: luns,
        body: { lun_maps: [{ igroup: { name: 'ig', svm: { name: 'vs1', uuid: 'u' } } }] },
      }),
    ).toEqual([
      'body.lun_maps.0.igroup.svm.uuid: a qualifier is {"name": ...}, and an SVM may add its {"cluster": ...}',
    ]);
    expect(issuesOf({ path: luns, body: { lun_maps: [{ igroup: { svm: { name: 'vs1' } } }] } })).toEqual([
      'body.lun_maps.0.igroup.name: missing: an initiator group is given by "key", or named by "name", "svm", "cluster"',
    ]);
    expect(issuesOf({ path: luns, body: { svm: { name: '' } } })).toEqual([
      'body.svm.name: Too small: expected string to have >=1 characters',
    ]);
  });

  it('names an Active Directory mapping by its SVM only', () => {
    const adMapping = (value: unknown) =>
      issuesOf({ path: fileShares, body: { access_control: { active_directory_mapping: value } } });
    expect(adMapping({ svm: { name: 'vs1' }, cluster: { name: 'c1' } })).toEqual([]);
    expect(adMapping({ key: 'ad-key' })).toEqual([]);
    expect(adMapping({ name: 'ad1', svm: { name: 'vs1' } })).toEqual([
      'body.access_control.active_directory_mapping.name: an Active Directory mapping is given by "key", or named by "svm", "cluster": not "name"',
    ]);
    expect(adMapping({})).toEqual([
      'body.access_control.active_directory_mapping.svm: missing: an Active Directory mapping is given by "key", or named by "svm", "cluster"',
    ]);
  });
});

describe('findNameReferences: the object of a path ending in /{key}', () => {
  it('finds the object by name, with its qualifiers', () => {
    for (const path of [`${luns}/{key}`, `/api/v2/storage-provider/luns/{key}?return_records=true`]) {
      expect(
        findNameReferences({
          path,
          object: { name: '/vol/v/db01', svm: { name: 'vs1' } },
          body: { space: { size: 1 } },
        }),
      ).toEqual({
        references: [
          { field: 'path', kind: 'lun', reference: { name: '/vol/v/db01', svm: { name: 'vs1' } } },
        ],
        issues: [],
      });
    }
    expect(
      findNameReferences({
        path: '/api/storage-provider/performance-service-levels/{key}',
        object: { name: 'Gold' },
      }).references,
    ).toEqual([{ field: 'path', kind: 'performanceServiceLevel', reference: { name: 'Gold' } }]);
  });

  it('refuses a {key} path without object, object without a {key} path, and {key} under other collections', () => {
    expect(issuesOf({ path: `${fileShares}/{key}` })).toEqual([
      'object: a path ending in /{key} needs "object": the object it names, by name',
    ]);
    expect(issuesOf({ path: `${fileShares}/k1`, object: { name: 'share1' } })).toEqual([
      'path: "object" names the object of a path ending in /{key}',
    ]);
    expect(issuesOf({ path: '/api/management-server/jobs/{key}', object: { name: 'j' } })).toEqual([
      'path: objects under /api/management-server/jobs cannot be named: give their key',
    ]);
    expect(issuesOf({ path: `${luns}/{key}`, object: { key: 'lun-key' } })).toEqual([
      'object.key: a key goes in the path itself, in place of {key}',
    ]);
    expect(issuesOf({ path: `${luns}/{key}`, object: { name: 'l', uuid: 'u' } })).toEqual([
      'object.uuid: a LUN is given by "key", or named by "name", "svm", "cluster": not "uuid"',
    ]);
  });
});

describe('requestInputSchema checks references at enqueue', () => {
  it('reports the path of a malformed reference as a zod issue', () => {
    const parsed = requestInputSchema.safeParse({
      method: 'POST',
      path: luns,
      body: { svm: vs1, lun_maps: [{ igroup: { name: 'ig', svm: 'vs1' } }] },
    });
    expect(parsed.error?.issues.map((issue) => issue.path)).toEqual([
      ['body', 'lun_maps', 0, 'igroup', 'svm'],
    ]);
  });

  it('refuses a name with a backslash, which no filter can match exactly', () => {
    expect(issuesOf({ path: luns, body: { svm: { name: 'vs\\1' } } })).toEqual([
      'body.svm.name: a name with a backslash cannot be looked up exactly: give the key',
    ]);
  });

  it('takes a request by name, with object', () => {
    // An SVM qualifier may carry its cluster, the same as a cluster beside it.
    const nested = { path: `${luns}/{key}`, object: { name: '/vol/v/db01', svm: vs1 } };
    expect(requestInputSchema.safeParse({ method: 'DELETE', ...nested }).success).toBe(true);
    expect(findNameReferences(nested).references).toEqual([
      {
        field: 'path',
        kind: 'lun',
        reference: { name: '/vol/v/db01', svm: { name: 'vs1' }, cluster: { name: 'cluster-01' } },
      },
    ]);
    expect(
      requestInputSchema.safeParse({
        method: 'DELETE',
        path: `${luns}/{key}`,
        object: { name: '/vol/v/db01', svm: { name: 'vs1' }, cluster: { name: 'cluster-01' } },
      }).success,
    ).toBe(true);
  });
});

describe('applyResolvedReferences', () => {
  it('puts each key in place of its reference, in the body and the path', () => {
    const body = {
      name: 'db01',
      svm: vs1,
      volume: { name: 'vol_db' },
      lun_maps: [{ igroup: { name: 'a' }, logical_unit_number: 1 }, { igroup: { key: 'kept' } }],
      access_control: { export_policy: { name: 'default' } },
    };
    const sent = applyResolvedReferences({ path: `/api/v2/storage-provider/luns/{key}?fields=*`, body }, [
      { field: 'path', kind: 'lun', reference: { name: '/vol/v/db01' }, key: 'k:type=lun,uuid=1/2 3' },
      { field: 'svm', kind: 'svm', reference: vs1, key: 'svm-key' },
      { field: 'lun_maps.0.igroup', kind: 'igroup', reference: { name: 'a' }, key: 'ig-key' },
      {
        field: 'access_control.export_policy',
        kind: 'exportPolicy',
        reference: { name: 'default' },
        key: 'ep',
      },
    ]);
    expect(sent.path).toBe('/api/v2/storage-provider/luns/k%3Atype%3Dlun%2Cuuid%3D1%2F2%203?fields=*');
    expect(sent.body).toEqual({
      name: 'db01',
      svm: { key: 'svm-key' },
      volume: { name: 'vol_db' },
      lun_maps: [{ igroup: { key: 'ig-key' }, logical_unit_number: 1 }, { igroup: { key: 'kept' } }],
      access_control: { export_policy: { key: 'ep' } },
    });
    // The request itself is left as it was: a retry resolves again from the names.
    expect(body.svm).toBe(vs1);
    expect(body.lun_maps[0]?.igroup).toEqual({ name: 'a' });
  });

  it('sends a request without references unchanged', () => {
    const request = { path: luns, body: { name: 'x', svm: { key: 'k' } } };
    expect(applyResolvedReferences(request, [])).toEqual(request);
  });
});
