import { requestInputSchema } from '@aiqum-jobs/contracts';
import { describe, expect, it } from 'vitest';
import {
  type DependentRequest,
  failingSvmName,
  provisioningBatch,
  provisioningScenarioRules,
} from '../src/provisioning-batch.js';

const batch = provisioningBatch('4c6bf721-1e3f-11e9-a3e2-00a0985badbb');
const byRef = new Map(batch.requests.map((request) => [request.ref, request]));

/** The refs of every `{"$jobResult": {"ref": ...}}` in a value. */
function jobResultRefs(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(jobResultRefs);
  if (value === null || typeof value !== 'object') return [];
  const placeholder = (value as { $jobResult?: { ref?: unknown } }).$jobResult;
  if (placeholder !== undefined) return [String(placeholder.ref)];
  return Object.values(value).flatMap(jobResultRefs);
}

/** The value with every job result placeholder replaced by a key, as the worker fills them in. */
function filled(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(filled);
  if (value === null || typeof value !== 'object') return value;
  if ('$jobResult' in value) return 'f39cb95a-b7f8-11e6-9022-00a098a0320b:type=vserver,uuid=00c800af';
  return Object.fromEntries(Object.entries(value).map(([field, item]) => [field, filled(item)]));
}

/** Every request that depends on `ref`, directly or through others. */
function dependantsOf(ref: string): Set<string> {
  const found = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const request of batch.requests) {
      const on = request.dependsOn ?? [];
      if (!found.has(request.ref) && on.some((dependency) => dependency === ref || found.has(dependency))) {
        found.add(request.ref);
        grew = true;
      }
    }
  }
  return found;
}

const isFailingSvm = (request: DependentRequest) =>
  request.path === '/api/datacenter/svm/svms' && (request.body as { name?: string }).name === failingSvmName;

describe('the demo provisioning batch with dependencies', () => {
  it('holds valid requests once their job results are filled in, each ref once', () => {
    expect(byRef.size).toBe(batch.requests.length);
    for (const { ref, dependsOn, proceedOnWarning, ...request } of batch.requests) {
      const parsed = requestInputSchema.safeParse({ ...request, body: filled(request.body) });
      expect(parsed.error?.issues, ref).toBeUndefined();
    }
  });

  it('depends only on requests before it (no cycle), and takes job results only from what it depends on', () => {
    const seen = new Set<string>();
    for (const request of batch.requests) {
      for (const dependency of request.dependsOn ?? []) expect(seen, request.ref).toContain(dependency);
      for (const ref of jobResultRefs(request.body)) expect(request.dependsOn, request.ref).toContain(ref);
      seen.add(request.ref);
    }
  });

  it('expects exactly what depends on the failing SVM to be skipped, and everything else to succeed', () => {
    const failing = batch.requests.filter(isFailingSvm);
    expect(failing).toHaveLength(1);
    const failingRef = failing[0]?.ref ?? '';
    const skipped = dependantsOf(failingRef);
    expect(skipped.size).toBe(6);
    for (const request of batch.requests) {
      const expected =
        request.ref === failingRef ? 'failed' : skipped.has(request.ref) ? 'skipped' : 'succeeded';
      expect(batch.expected[request.ref], request.ref).toBe(expected);
    }
    // The other SVM's chain has the same steps, and none of them depends on the failing SVM.
    expect(Object.values(batch.expected).filter((outcome) => outcome === 'succeeded')).toHaveLength(7);
  });

  it('has a scenario rule that fails the creation of that SVM and matches no other request', () => {
    const [rule] = provisioningScenarioRules;
    expect(rule?.job?.outcomes).toEqual({ ERROR: 1 });
    const matched = batch.requests.filter(
      (request) =>
        request.method === rule?.match?.method &&
        request.path === rule?.match?.path &&
        (request.body as { name?: string }).name === rule?.match?.body?.name,
    );
    expect(matched.map((request) => request.ref)).toEqual(
      batch.requests.filter(isFailingSvm).map((r) => r.ref),
    );
  });
});
