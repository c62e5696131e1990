import { z } from 'zod';
import { isJsonObject } from './json-value.js';
import type { ReferenceIssue } from './name-references.js';

/** A request's name within its batch: what `dependsOn` and `$jobResult` refer to. */
export const requestRefSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a ref is 1-64 letters, digits, "_", "." or "-"');

/** The key that marks a reference to a dependency's job result. */
export const jobResultMarker = '$jobResult';

/**
 * `{"$jobResult": {"ref": "svm", "name": "svmKey"}}`, anywhere in a request's `body` or `object`: replaced,
 * when the request starts, by the string value of the job result `name` (compared case-insensitively, as
 * Unified Manager's own clients do) of the dependency `ref`.
 */
const jobResultReferenceSchema = z.strictObject({
  [jobResultMarker]: z.strictObject({ ref: requestRefSchema, name: z.string().min(1).max(256) }),
});

export interface JobResultReference {
  /** Where it stands, e.g. `body.svm.key`. */
  field: string;
  ref: string;
  name: string;
}

function fieldOf(path: ReadonlyArray<string | number>): string {
  return path.map(String).join('.');
}

/**
 * `value` with every `$jobResult` reference replaced by what `replace` answers for it; other values are
 * copied as they are. A malformed one (other keys beside it, a ref or name missing) is left in place and
 * reported to `onIssue`. Recursive: bodies are checked to nest at most `maxInputDepth` levels first.
 */
export function mapJobResultReferences(
  value: unknown,
  replace: (reference: JobResultReference) => unknown,
  onIssue: (issue: ReferenceIssue) => void = () => {},
  path: Array<string | number> = [],
): unknown {
  if (Array.isArray(value)) {
    return value.map((item, index) => mapJobResultReferences(item, replace, onIssue, [...path, index]));
  }
  if (!isJsonObject(value)) return value;
  if (jobResultMarker in value) {
    const parsed = jobResultReferenceSchema.safeParse(value);
    if (parsed.success) {
      const { ref, name } = parsed.data[jobResultMarker];
      return replace({ field: fieldOf(path), ref, name });
    }
    for (const issue of parsed.error.issues) {
      onIssue({
        path: [...path, ...issue.path.map((step) => (typeof step === 'symbol' ? String(step) : step))],
        message: `a job result reference is exactly {"${jobResultMarker}": {"ref": ..., "name": ...}}: ${issue.message}`,
      });
    }
    return value;
  }
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [
      key,
      mapJobResultReferences(child, replace, onIssue, [...path, key]),
    ]),
  );
}

/** The `$jobResult` references of a request's `body` and `object`, and the problems of their shape. */
export function findJobResultReferences(request: { body?: unknown; object?: unknown }): {
  references: JobResultReference[];
  issues: ReferenceIssue[];
} {
  const references: JobResultReference[] = [];
  const issues: ReferenceIssue[] = [];
  const collect = (reference: JobResultReference) => {
    references.push(reference);
    return undefined;
  };
  const report = (issue: ReferenceIssue) => issues.push(issue);
  if (request.body !== undefined) mapJobResultReferences(request.body, collect, report, ['body']);
  if (request.object !== undefined) mapJobResultReferences(request.object, collect, report, ['object']);
  return { references, issues };
}

/** The value of the job result `name` among `results`, names compared case-insensitively (AIQUM-API.md). */
export function jobResultValue(
  results: ReadonlyArray<{ name: string; value: string }>,
  name: string,
): string | undefined {
  const wanted = name.toLowerCase();
  return results.find((result) => result.name.toLowerCase() === wanted)?.value;
}

/** What stands in for a job result before it is known: a key as name checks expect one. */
export const jobResultPlaceholder = '(job result)';

/**
 * `request` with its `$jobResult` references replaced: by `value(reference)`, or by a placeholder (to check
 * the rest of the request before the results exist).
 */
export function withJobResults<T extends { body?: unknown; object?: unknown }>(
  request: T,
  value: (reference: JobResultReference) => string = () => jobResultPlaceholder,
): T {
  const replaced = { ...request };
  if (request.body !== undefined) {
    replaced.body = mapJobResultReferences(request.body, value, undefined, ['body']) as T['body'];
  }
  if (request.object !== undefined) {
    replaced.object = mapJobResultReferences(request.object, value, undefined, ['object']) as T['object'];
  }
  return replaced;
}
