import { z } from 'zod';
import { isJsonObject } from './json-value.js';

/**
 * Unified Manager's writes take keys; operators know names. A request may name an object wherever the API
 * takes its key, and the worker looks the name up just before it submits, with the lookups NetApp's own
 * clients make. This module is the one table of where names may stand and how each is looked up.
 */

/**
 * A name as a lookup can match it exactly. Unified Manager's filters quote a value with operators in it and
 * escape its quotes with a backslash, but give no way to escape a backslash: such a name is refused here
 * rather than looked up wrongly.
 */
const exactName = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine(
      (name) => !name.includes('\\'),
      'a name with a backslash cannot be looked up exactly: give the key',
    );

/** A qualifier of a name: the SVM or cluster the object belongs to, by name. */
const qualifierSchema = z.strictObject({ name: exactName(255) });

/** An object by name, with the qualifiers that make it unique (`cluster` for an SVM, `svm` for a LUN...). */
export const nameReferenceSchema = z.strictObject({
  name: exactName(1_024),
  svm: qualifierSchema.optional(),
  cluster: qualifierSchema.optional(),
});
export type NameReference = z.output<typeof nameReferenceSchema>;

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
    // The specification names no cluster filter for mappings: a server that ignores it answers every SVM of
    // that name, which ends the request NAME_AMBIGUOUS rather than picking one.
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
  /** Fields that make the value a description of a new object, sent as it is (`volume.name_tag`). */
  newObjectFields?: readonly string[];
}

/**
 * The writes whose bodies may name objects, by collection (`/api/v2/` is the same; the body of a write to
 * one of its objects, `.../luns/<key>` or `.../luns/{key}`, too), and the kind of object a `{key}` at the
 * end of their path names.
 */
const writes: ReadonlyArray<{ collection: string; pathKey: ObjectKindName; fields: ReferenceField[] }> = [
  {
    collection: '/api/storage-provider/luns',
    pathKey: 'lun',
    fields: [
      { field: 'svm', kind: 'svm' },
      { field: 'volume', kind: 'volume', newObjectFields: ['name_tag'] },
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
      { field: 'access_control.export_policy', kind: 'exportPolicy', newObjectFields: ['rules', 'name-tag'] },
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
];

/** The placeholder a path ends with when its object is given by name in `object`. */
export const pathKeyPlaceholder = '{key}';

/** One reference found in a request, before it is looked up. */
export interface FoundReference {
  /** Where it stands: `svm`, `lun_maps.0.igroup`, or `path` for the object a `{key}` path names. */
  field: string;
  kind: ObjectKindName;
  /** Name and qualifiers (an Active Directory mapping has only its SVM), after inheritance. */
  reference: {
    name?: string;
    svm?: { name: string } | undefined;
    cluster?: { name: string } | undefined;
    /** The key of the body's own `svm`, inherited by an object looked up in it when that SVM is given by key. */
    svmKey?: string | undefined;
  };
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

const qualifierLabels = { svm: 'an SVM', cluster: 'a cluster' } as const;

/**
 * An SVM as a qualifier: its name, and its cluster when the SVM's name alone is not unique
 * (`"svm": {"name": "vs1", "cluster": {"name": "cluster-01"}}`, the same as a `cluster` beside it).
 */
const svmQualifierSchema = z.strictObject({
  name: qualifierSchema.shape.name,
  cluster: qualifierSchema.optional(),
});

// The fields a reference may not carry are refused one by one before these parse what it may.
const byNameReferenceSchema = z.object({
  name: nameReferenceSchema.shape.name,
  svm: svmQualifierSchema.optional(),
  cluster: qualifierSchema.optional(),
});
/** An Active Directory mapping has no name: it is the one of its SVM. */
const bySvmReferenceSchema = z.object({
  name: z.never().optional(),
  svm: svmQualifierSchema,
  cluster: qualifierSchema.optional(),
});

/** The write a path goes to (its collection, or one object of it), and whether it ends in `/{key}`. */
function writeOf(path: string) {
  const pathPart = path.split('?')[0] ?? path;
  const unversioned = pathPart.replace(/^\/api\/v\d+\//, '/api/');
  const parent = unversioned.slice(0, unversioned.lastIndexOf('/'));
  const hasKeyPlaceholder = unversioned.endsWith(`/${pathKeyPlaceholder}`);
  const write = writes.find(({ collection }) => collection === unversioned || collection === parent);
  return { write, hasKeyPlaceholder, collection: hasKeyPlaceholder ? parent : unversioned };
}

/** The values at a dotted field path with `[]` steps, each with its concrete path. */
function valuesAt(body: unknown, field: string): Array<{ path: Array<string | number>; value: unknown }> {
  let found: Array<{ path: Array<string | number>; value: unknown }> = [{ path: [], value: body }];
  for (const step of field.split('.')) {
    const name = step.endsWith('[]') ? step.slice(0, -2) : step;
    const next: typeof found = [];
    for (const { path, value } of found) {
      if (!isJsonObject(value) || !(name in value)) continue;
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
 * The name and qualifiers of one reference at `at`, or nothing when it gives a key, describes a new object
 * (`newObjectFields`) or is malformed (its problems are added to `issues`).
 */
function readReference(
  at: Array<string | number>,
  kind: ObjectKindName,
  value: unknown,
  newObjectFields: readonly string[],
  issues: ReferenceIssue[],
): FoundReference['reference'] | undefined {
  const { label, qualifiers, bySvmOnly }: ObjectKind = objectKinds[kind];
  const namedBy: readonly string[] = bySvmOnly ? qualifiers : ['name', ...qualifiers];
  const naming = namedBy.map((field) => `"${field}"`).join(', ');
  const article = /^([aeiouAEIOU]|SVM)/.test(label) ? 'an' : 'a';
  if (!isJsonObject(value)) {
    issues.push({ path: at, message: `must be an object: {"key": ...}, or ${naming}` });
    return undefined;
  }
  if ('key' in value) {
    if (typeof value.key !== 'string' || value.key === '') {
      issues.push({ path: [...at, 'key'], message: 'must be a non-empty string' });
    }
    for (const field of ['name', 'svm', 'cluster'].filter((field) => field in value)) {
      issues.push({
        path: [...at, field],
        message: 'give either "key" or the name with its qualifiers, not both',
      });
    }
    return undefined;
  }
  if (!('name' in value) && newObjectFields.some((field) => field in value)) return undefined;

  const before = issues.length;
  const unknown = Object.keys(value).filter((field) => !namedBy.includes(field));
  for (const field of unknown) {
    issues.push({
      path: [...at, field],
      message:
        field === 'svm' || field === 'cluster'
          ? `${article} ${label} is not qualified by ${qualifierLabels[field]}`
          : `${article} ${label} is given by "key", or named by ${naming}: not "${field}"`,
    });
  }
  const parsed = (bySvmOnly ? bySvmReferenceSchema : byNameReferenceSchema).safeParse(value);
  for (const issue of parsed.error?.issues ?? []) {
    const path = [...at, ...issue.path.map((step) => (typeof step === 'symbol' ? String(step) : step))];
    if (unknown.includes(String(issue.path[0]))) continue; // reported above
    if (issue.code !== 'unrecognized_keys') {
      const missing = issue.path.length === 1 && value[String(issue.path[0])] === undefined;
      issues.push({
        path,
        message: missing
          ? `missing: ${article} ${label} is given by "key", or named by ${naming}`
          : issue.message,
      });
      continue;
    }
    for (const key of issue.keys) {
      issues.push({
        path: [...path, key],
        message: 'a qualifier is {"name": ...}, and an SVM may add its {"cluster": ...}',
      });
    }
  }
  if (!parsed.success || issues.length > before) return undefined;
  const reference: FoundReference['reference'] = {};
  if (parsed.data.name !== undefined) reference.name = parsed.data.name;
  if (parsed.data.svm !== undefined) reference.svm = { name: parsed.data.svm.name };
  const cluster = parsed.data.cluster ?? parsed.data.svm?.cluster;
  if (cluster !== undefined) reference.cluster = cluster;
  return reference;
}

/**
 * The name references of a request, with every problem of their shape. A reference that gives `key` is
 * sent as it is, and so is the description of a new object (`volume.name_tag`, an export policy's `rules`);
 * one that gives `name` (and its qualifiers) is looked up. A reference without a qualifier its kind takes
 * inherits it from the body's own `svm` when that is named: an igroup mapped to a LUN, or an export policy
 * of a file share, belongs to the SVM of the LUN or the share, and an aggregate to its cluster.
 */
export function findNameReferences(request: { path: string; body?: unknown; object?: unknown }): {
  references: FoundReference[];
  issues: ReferenceIssue[];
} {
  const references: FoundReference[] = [];
  const issues: ReferenceIssue[] = [];
  const { write, hasKeyPlaceholder, collection } = writeOf(request.path);

  if (hasKeyPlaceholder && !write) {
    issues.push({ path: ['path'], message: `objects under ${collection} cannot be named: give their key` });
  } else if (hasKeyPlaceholder && request.object === undefined) {
    issues.push({
      path: ['object'],
      message: `a path ending in /${pathKeyPlaceholder} needs "object": the object it names, by name`,
    });
  } else if (!hasKeyPlaceholder && request.object !== undefined) {
    issues.push({
      path: ['path'],
      message: `"object" names the object of a path ending in /${pathKeyPlaceholder}`,
    });
  }

  const bodySvm = isJsonObject(request.body) ? nameReferenceSchema.safeParse(request.body.svm) : undefined;
  const inherited = bodySvm?.success ? bodySvm.data : undefined;
  const bodySvmKey =
    isJsonObject(request.body) && isJsonObject(request.body.svm) && typeof request.body.svm.key === 'string'
      ? request.body.svm.key
      : undefined;

  const read = (
    at: Array<string | number>,
    field: string,
    kind: ObjectKindName,
    value: unknown,
    newObjectFields: readonly string[] = [],
  ) => {
    const reference = readReference(at, kind, value, newObjectFields, issues);
    if (!reference) return;
    const takes: readonly string[] = objectKinds[kind].qualifiers;
    if (inherited && field !== 'svm') {
      if (takes.includes('svm') && !reference.svm) reference.svm = { name: inherited.name };
      if (takes.includes('cluster') && !reference.cluster && inherited.cluster) {
        reference.cluster = inherited.cluster;
      }
    }
    if (bodySvmKey !== undefined && takes.includes('svm') && !reference.svm) reference.svmKey = bodySvmKey;
    references.push({ field, kind, reference });
  };

  if (hasKeyPlaceholder && write && isJsonObject(request.object) && 'key' in request.object) {
    issues.push({ path: ['object', 'key'], message: 'a key goes in the path itself, in place of {key}' });
  } else if (hasKeyPlaceholder && write && request.object !== undefined) {
    read(['object'], 'path', write.pathKey, request.object);
  }
  for (const { field, kind, newObjectFields } of write?.fields ?? []) {
    for (const { path, value } of valuesAt(request.body, field)) {
      read(['body', ...path], path.join('.'), kind, value, newObjectFields);
    }
  }
  return { references, issues };
}

function withKeyAt(value: unknown, path: readonly string[], key: string): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return { key };
  if (Array.isArray(value)) {
    const index = Number(head);
    return value.map((item, at) => (at === index ? withKeyAt(item, rest, key) : item));
  }
  if (!isJsonObject(value)) return value;
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
      const queryAt = path.indexOf('?');
      const [pathPart, query] = queryAt === -1 ? [path, ''] : [path.slice(0, queryAt), path.slice(queryAt)];
      if (pathPart.endsWith(`/${pathKeyPlaceholder}`)) {
        path = `${pathPart.slice(0, -pathKeyPlaceholder.length)}${encodeURIComponent(reference.key)}${query}`;
      }
    } else {
      body = withKeyAt(body, reference.field.split('.'), reference.key);
    }
  }
  return { path, body: body as Body | undefined };
}
