import { z } from 'zod';
import { isJsonObject } from './json-value.js';
import { type FoundReference, type ObjectKindName, objectKinds } from './name-references.js';

/**
 * The object a create names, so reconciliation can look for it after the write's answer was lost: a POST to
 * the collection of an object AIQUM makes with a job (the asynchronous creates of its specification), whose
 * body gives the new object's `name`. Other writes name no object this way (undefined).
 */
export interface CreatedObject {
  kind: ObjectKindName;
  /** The lookup: name and qualifiers as the body gives them (an SVM by name or by key). */
  reference: FoundReference['reference'];
  /** The `job_results` entry naming the object the job made, compared case-insensitively. */
  resultName: string;
  /**
   * A LUN's name in Unified Manager is its path, `/vol/<volume>/<name>`, and the body gives only the last
   * part: the lookup matches names that end with it.
   */
  nameIsPathEnd: boolean;
  /** One string per object, equal for two writes that name the same object. */
  identity: string;
}

/** The creates AIQUM answers with a job, and the result its job names the new object by. */
const createdKinds: ReadonlyArray<{ kind: ObjectKindName; resultName: string; nameIsPathEnd: boolean }> = [
  { kind: 'lun', resultName: 'lunKey', nameIsPathEnd: true },
  { kind: 'fileShare', resultName: 'fileshareKey', nameIsPathEnd: false },
  { kind: 'svm', resultName: 'svmKey', nameIsPathEnd: false },
  { kind: 'accessEndpoint', resultName: 'accessEndpointKey', nameIsPathEnd: false },
];

type Qualifier = { name: string } | { key: string };

/** A qualifier given by name (`{name}`) or key (`{key}`), else undefined. */
function qualifier(value: unknown): Qualifier | undefined {
  if (!isJsonObject(value)) return undefined;
  if (typeof value.key === 'string' && value.key !== '') return { key: value.key };
  if (typeof value.name === 'string' && value.name !== '') return { name: value.name };
  return undefined;
}

/** The object of a create of `kind` named `name`, with the body's qualifiers. */
function createdObject(
  created: (typeof createdKinds)[number],
  name: string,
  svm: Qualifier | undefined,
  cluster: Qualifier | undefined,
): CreatedObject {
  const reference: FoundReference['reference'] = { name };
  const qualifiers: readonly string[] = objectKinds[created.kind].qualifiers;
  if (svm && qualifiers.includes('svm')) {
    if ('key' in svm) reference.svmKey = svm.key;
    else reference.svm = svm;
  }
  if (cluster && qualifiers.includes('cluster')) {
    // A cluster by key cannot be a lookup's qualifier: the lookup goes without it and may find more.
    if ('name' in cluster) reference.cluster = cluster;
  }
  return {
    kind: created.kind,
    reference,
    resultName: created.resultName,
    nameIsPathEnd: created.nameIsPathEnd,
    identity: JSON.stringify([created.kind, name, svm ?? null, cluster ?? null]),
  };
}

/**
 * The object a write creates, when it is one reconciliation can look up (`body` after names were replaced
 * by keys, as sent).
 */
export function createdObjectOf(write: {
  method: string;
  path: string;
  body?: unknown;
}): CreatedObject | undefined {
  if (write.method !== 'POST' || !isJsonObject(write.body)) return undefined;
  const collection = (write.path.split('?')[0] ?? '').replace(/^\/api\/v\d+\//, '/api/');
  const created = createdKinds.find(({ kind }) => objectKinds[kind].collection === collection);
  const { name } = write.body;
  if (!created || typeof name !== 'string' || name === '') return undefined;
  const svm = qualifier(write.body.svm);
  const cluster = qualifier(
    write.body.cluster ?? (isJsonObject(write.body.svm) ? write.body.svm.cluster : undefined),
  );
  return createdObject(created, name, svm, cluster);
}

const qualifierSchema = z.union([z.strictObject({ key: z.string() }), z.strictObject({ name: z.string() })]);
const identitySchema = z.tuple([
  z.string(),
  z.string().min(1),
  qualifierSchema.nullable(),
  qualifierSchema.nullable(),
]);

/**
 * The object an `identity` (as `createdObjectOf` made it, recorded with a write in doubt) stands for, so
 * another write's reconciliation can look it up; undefined for one that is not such an identity.
 */
export function createdObjectOfIdentity(identity: string): CreatedObject | undefined {
  let parsed: z.infer<typeof identitySchema>;
  try {
    parsed = identitySchema.parse(JSON.parse(identity));
  } catch {
    return undefined;
  }
  const [kind, name, svm, cluster] = parsed;
  const created = createdKinds.find((entry) => entry.kind === kind);
  return created ? createdObject(created, name, svm ?? undefined, cluster ?? undefined) : undefined;
}
