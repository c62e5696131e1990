import { z } from 'zod';

/**
 * Unified Manager's writes take keys; operators know names. A request may name an object wherever the API
 * takes its key, and the worker looks the name up just before it submits, with the lookups NetApp's own
 * clients make. This module is the one table of where names may stand and how each is looked up.
 */

/** A qualifier of a name: the SVM or cluster the object belongs to, by name. */
const qualifierSchema = z.strictObject({ name: z.string().min(1).max(255) });

/** An SVM as a qualifier: its name, and its cluster when the SVM's name alone is not unique. */
const svmQualifierSchema = z.strictObject({
  name: z.string().min(1).max(255),
  cluster: qualifierSchema.optional(),
});

/**
 * An object by name, with the qualifiers that make it unique (`cluster` for an SVM, `svm` for a LUN...). An
 * SVM qualifier may carry its own cluster (`"svm": {"name": "vs1", "cluster": {"name": "cluster-01"}}`),
 * the same as a `cluster` beside it.
 */
export const nameReferenceSchema = z
  .strictObject({
    name: z.string().min(1).max(1_024),
    svm: svmQualifierSchema.optional(),
    cluster: qualifierSchema.optional(),
  })
  .transform(({ svm, cluster, ...rest }) => ({
    ...rest,
    ...(svm ? { svm: { name: svm.name } } : {}),
    ...((cluster ?? svm?.cluster) ? { cluster: cluster ?? svm?.cluster } : {}),
  }));
export type NameReference = z.output<typeof nameReferenceSchema>;

/** An Active Directory mapping has no name: it is the one of its SVM. */
const svmOnlyReferenceSchema = z
  .strictObject({ svm: svmQualifierSchema, cluster: qualifierSchema.optional() })
  .transform(({ svm, cluster }) => ({
    svm: { name: svm.name },
    ...((cluster ?? svm.cluster) ? { cluster: cluster ?? svm.cluster } : {}),
  }));

interface ObjectKind {
  /** What the object is called in messages. */
  label: string;
  /** The collection that is searched, with the reference's name and qualifiers as exact filters. */
  collection: string;
  /** Qualifiers a reference of this kind may carry. */
  qualifiers: ReadonlyArray<'svm' | 'cluster'>;
  /** Looked up by its SVM alone (it has no name of its own). */
  bySvmOnly?: true;
}

/** Every kind of object a write may name, and where NetApp's clients look it up. */
export const objectKinds = {
  cluster: { label: 'cluster', collection: '/api/datacenter/cluster/clusters', qualifiers: [] },
  svm: { label: 'SVM', collection: '/api/datacenter/svm/svms', qualifiers: ['cluster'] },
  aggregate: {
    label: 'aggregate',
    collection: '/api/datacenter/storage/aggregates',
    qualifiers: ['cluster'],
  },
  volume: { label: 'volume', collection: '/api/datacenter/storage/volumes', qualifiers: ['svm', 'cluster'] },
  igroup: {
    label: 'initiator group',
    collection: '/api/datacenter/protocols/san/igroups',
    qualifiers: ['svm', 'cluster'],
  },
  exportPolicy: {
    label: 'export policy',
    collection: '/api/datacenter/protocols/nfs/export-policies',
    qualifiers: ['svm', 'cluster'],
  },
  performanceServiceLevel: {
    label: 'performance service level',
    collection: '/api/storage-provider/performance-service-levels',
    qualifiers: [],
  },
  storageEfficiencyPolicy: {
    label: 'storage efficiency policy',
    collection: '/api/storage-provider/storage-efficiency-policies',
    qualifiers: [],
  },
  activeDirectoryMapping: {
    label: 'Active Directory mapping',
    collection: '/api/storage-provider/active-directories-mappings',
    qualifiers: ['svm', 'cluster'],
    bySvmOnly: true,
  },
  lun: { label: 'LUN', collection: '/api/storage-provider/luns', qualifiers: ['svm', 'cluster'] },
  fileShare: {
    label: 'file share',
    collection: '/api/storage-provider/file-shares',
    qualifiers: ['svm', 'cluster'],
  },
  accessEndpoint: {
    label: 'access endpoint',
    collection: '/api/storage-provider/access-endpoints',
    qualifiers: ['svm', 'cluster'],
  },
} as const satisfies Record<string, ObjectKind>;
export type ObjectKindName = keyof typeof objectKinds;

/** A field of a write body that holds a reference; `[]` marks an array whose every item has the field. */
interface ReferenceField {
  /** Dotted path in the body, e.g. `access_control.export_policy` or `lun_maps[].igroup`. */
  field: string;
  kind: ObjectKindName;
}

/**
 * The writes whose bodies may name objects, by collection (`/api/v2/` is the same), and the kind of object
 * a `{key}` at the end of their path names.
 */
const writes: ReadonlyArray<{ collection: string; pathKey: ObjectKindName; fields: ReferenceField[] }> = [
  {
    collection: '/api/storage-provider/luns',
    pathKey: 'lun',
    fields: [
      { field: 'svm', kind: 'svm' },
      { field: 'volume', kind: 'volume' },
      { field: 'aggregate', kind: 'aggregate' },
      { field: 'performance_service_level', kind: 'performanceServiceLevel' },
      { field: 'storage_efficiency_policy', kind: 'storageEfficiencyPolicy' },
      { field: 'lun_maps[].igroup', kind: 'igroup' },
    ],
  },
  {
    collection: '/api/storage-provider/file-shares',
    pathKey: 'fileShare',
    fields: [
      { field: 'svm', kind: 'svm' },
      { field: 'aggregate', kind: 'aggregate' },
      { field: 'performance_service_level', kind: 'performanceServiceLevel' },
      { field: 'storage_efficiency_policy', kind: 'storageEfficiencyPolicy' },
      { field: 'access_control.export_policy', kind: 'exportPolicy' },
      { field: 'access_control.active_directory_mapping', kind: 'activeDirectoryMapping' },
    ],
  },
  {
    collection: '/api/storage-provider/access-endpoints',
    pathKey: 'accessEndpoint',
    fields: [
      { field: 'svm', kind: 'svm' },
      { field: 'lun', kind: 'lun' },
      { field: 'fileshare', kind: 'fileShare' },
    ],
  },
  { collection: '/api/datacenter/svm/svms', pathKey: 'svm', fields: [{ field: 'cluster', kind: 'cluster' }] },
  {
    collection: '/api/datacenter/protocols/san/igroups',
    pathKey: 'igroup',
    fields: [{ field: 'svm', kind: 'svm' }],
  },
  {
    collection: '/api/storage-provider/performance-service-levels',
    pathKey: 'performanceServiceLevel',
    fields: [],
  },
  {
    collection: '/api/storage-provider/storage-efficiency-policies',
    pathKey: 'storageEfficiencyPolicy',
    fields: [],
  },
  { collection: '/api/management-server/admin/datasources/clusters', pathKey: 'cluster', fields: [] },
];

/** The placeholder a path ends with when its object is given by name in `object`. */
export const pathKeyPlaceholder = '{key}';

/** One reference found in a request, before it is looked up. */
export interface FoundReference {
  /** Where it stands: `svm`, `lun_maps.0.igroup`, or `path` for the object a `{key}` path names. */
  field: string;
  kind: ObjectKindName;
  /** Name and qualifiers (an Active Directory mapping has only its SVM), after inheritance. */
  reference: { name?: string; svm?: { name: string } | undefined; cluster?: { name: string } | undefined };
}

/** A reference after its lookup: exactly what was sent in its place. */
export const resolvedReferenceSchema = z.object({
  field: z.string(),
  kind: z.string(),
  /** The reference as the request gave it (name and qualifiers). */
  reference: z.record(z.string(), z.unknown()),
  key: z.string(),
});
export type ResolvedReference = z.output<typeof resolvedReferenceSchema>;

/** A problem with a request's references, found before anything is queued. */
export interface ReferenceIssue {
  path: Array<string | number>;
  message: string;
}

function collectionOf(path: string): { collection: string; hasKeyPlaceholder: boolean } {
  const pathPart = path.split('?')[0] ?? path;
  const unversioned = pathPart.replace(/^\/api\/v\d+\//, '/api/');
  const hasKeyPlaceholder = unversioned.endsWith(`/${pathKeyPlaceholder}`);
  const collection = hasKeyPlaceholder ? unversioned.slice(0, -pathKeyPlaceholder.length - 1) : unversioned;
  return { collection, hasKeyPlaceholder };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The values at a dotted field path with `[]` steps, each with its concrete path. */
function valuesAt(body: unknown, field: string): Array<{ path: Array<string | number>; value: unknown }> {
  let found: Array<{ path: Array<string | number>; value: unknown }> = [{ path: [], value: body }];
  for (const step of field.split('.')) {
    const name = step.endsWith('[]') ? step.slice(0, -2) : step;
    const next: typeof found = [];
    for (const { path, value } of found) {
      if (!isObject(value) || !(name in value)) continue;
      const child = value[name];
      if (!step.endsWith('[]')) {
        next.push({ path: [...path, name], value: child });
      } else if (Array.isArray(child)) {
        child.forEach((item, index) => {
          next.push({ path: [...path, name, index], value: item });
        });
      }
    }
    found = next;
  }
  return found;
}

/**
 * The name references of a request, with every problem of their shape. A reference that gives `key` is
 * sent as it is; one that gives `name` (and its qualifiers) is looked up. A reference without a qualifier
 * its kind takes inherits it from the body's own `svm` when that is named: an igroup mapped to a LUN, or an
 * export policy of a file share, belongs to the SVM of the LUN or the share.
 */
export function findNameReferences(request: { path: string; body?: unknown; object?: unknown }): {
  references: FoundReference[];
  issues: ReferenceIssue[];
} {
  const references: FoundReference[] = [];
  const issues: ReferenceIssue[] = [];
  const { collection, hasKeyPlaceholder } = collectionOf(request.path);
  const write = writes.find((candidate) => candidate.collection === collection);

  if (hasKeyPlaceholder !== (request.object !== undefined)) {
    issues.push({
      path: hasKeyPlaceholder ? ['object'] : ['path'],
      message: hasKeyPlaceholder
        ? `a path ending in /${pathKeyPlaceholder} needs "object": the object it names, by name`
        : `"object" names the object of a path ending in /${pathKeyPlaceholder}`,
    });
  }
  if (hasKeyPlaceholder && !write) {
    issues.push({ path: ['path'], message: `objects under ${collection} cannot be named: give their key` });
  }

  const bodySvm = isObject(request.body) ? nameReferenceSchema.safeParse(request.body.svm) : undefined;
  const inherited: Partial<Pick<NameReference, 'svm' | 'cluster'>> = bodySvm?.success
    ? {
        svm: { name: bodySvm.data.name },
        ...(bodySvm.data.cluster ? { cluster: bodySvm.data.cluster } : {}),
      }
    : {};

  const take = (path: Array<string | number>, field: string, kind: ObjectKindName, value: unknown) => {
    const objectKind: ObjectKind = objectKinds[kind];
    if (!isObject(value)) {
      issues.push({ path, message: `must be an object: {"key": ...} or {"name": ...}` });
      return;
    }
    if ('key' in value) {
      if (typeof value.key !== 'string' || value.key === '') {
        issues.push({ path: [...path, 'key'], message: 'must be a non-empty string' });
      } else if (Object.keys(value).some((name) => name !== 'key' && name !== '_links')) {
        issues.push({ path, message: 'give either "key" or "name" (with its qualifiers), not both' });
      }
      return;
    }
    const schema = objectKind.bySvmOnly ? svmOnlyReferenceSchema : nameReferenceSchema;
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        issues.push({
          path: [...path, ...issue.path.map((step) => (typeof step === 'symbol' ? String(step) : step))],
          message:
            issue.code === 'unrecognized_keys'
              ? `a ${objectKind.label} is named by ${objectKind.bySvmOnly ? '' : '"name", '}${objectKind.qualifiers.map((q) => `"${q}"`).join(' and ') || 'nothing else'}: ${issue.message}`
              : issue.message,
        });
      }
      return;
    }
    const given = parsed.data;
    for (const qualifier of ['svm', 'cluster'] as const) {
      if (given[qualifier] !== undefined && !objectKind.qualifiers.includes(qualifier)) {
        issues.push({
          path: [...path, qualifier],
          message: `a ${objectKind.label} is not qualified by ${qualifier === 'svm' ? 'an SVM' : 'a cluster'}`,
        });
      }
    }
    const reference: FoundReference['reference'] = { ...given };
    if (
      field !== 'svm' &&
      objectKind.qualifiers.includes('svm') &&
      reference.svm === undefined &&
      inherited.svm
    ) {
      reference.svm = inherited.svm;
      if (reference.cluster === undefined && inherited.cluster) reference.cluster = inherited.cluster;
    }
    if (
      field !== 'svm' &&
      kind !== 'svm' &&
      objectKind.qualifiers.includes('cluster') &&
      reference.cluster === undefined &&
      inherited.cluster
    ) {
      reference.cluster = inherited.cluster;
    }
    references.push({ field: path.map(String).join('.') || field, kind, reference });
  };

  if (hasKeyPlaceholder && write && request.object !== undefined) {
    take(['object'], 'path', write.pathKey, request.object);
    const last = references.at(-1);
    if (last?.field === 'object') last.field = 'path';
  }
  for (const { field, kind } of write?.fields ?? []) {
    for (const { path, value } of valuesAt(request.body, field)) {
      take(['body', ...path], field, kind, value);
    }
  }
  return {
    references: references.map((found) =>
      found.field.startsWith('body.') ? { ...found, field: found.field.slice('body.'.length) } : found,
    ),
    issues,
  };
}

function withKeyAt(value: unknown, path: readonly string[], key: string): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return { key };
  if (Array.isArray(value)) {
    const index = Number(head);
    return value.map((item, at) => (at === index ? withKeyAt(item, rest, key) : item));
  }
  if (!isObject(value)) return value;
  return { ...value, [head]: withKeyAt(value[head], rest, key) };
}

/** The path and body actually sent: every resolved reference replaced by `{"key": ...}`. */
export function applyResolvedReferences<Body>(
  request: { path: string; body?: Body },
  resolved: readonly ResolvedReference[],
): { path: string; body: Body | undefined } {
  let { path } = request;
  let body: unknown = request.body;
  for (const reference of resolved) {
    if (reference.field === 'path') {
      path = path.replace(`/${pathKeyPlaceholder}`, `/${encodeURIComponent(reference.key)}`);
    } else {
      body = withKeyAt(body, reference.field.split('.'), reference.key);
    }
  }
  return { path, body: body as Body | undefined };
}
