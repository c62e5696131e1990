import { batchInputSchema } from '@aiqum-jobs/contracts';
import { describe, expect, it } from 'vitest';
import {
  failingSvmName,
  type ProvisioningRequest,
  provisioningBatch,
  provisioningScenarioRules,
} from '../src/provisioning-batch.js';

const batch = provisioningBatch('4c6bf721-1e3f-11e9-a3e2-00a0985badbb');
const byRef = new Map(batch.requests.map((request) => [request.ref, request]));

/** The field names anywhere in a value, e.g. `key` or `$jobResult`. */
function fieldNames(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(fieldNames);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([field, item]) => [field, ...fieldNames(item)]);
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

const isFailingSvm = (request: ProvisioningRequest) =>
  request.path === '/api/datacenter/svm/svms' && (request.body as { name?: string }).name === failingSvmName;

describe('the demo provisioning batch with dependencies', () => {
  it('is a valid batch (refs unique, dependencies known, no cycle), each request with a ref', () => {
    expect(byRef.size).toBe(batch.requests.length);
    expect(batchInputSchema.safeParse({ requests: batch.requests }).error?.issues).toBeUndefined();
  });

  it('depends only on requests before it, and names everything by name: no key, no job result', () => {
    const seen = new Set<string>();
    for (const request of batch.requests) {
      for (const dependency of request.dependsOn ?? []) expect(seen, request.ref).toContain(dependency);
      expect(fieldNames(request.body), request.ref).not.toContain('key');
      expect(fieldNames(request.body), request.ref).not.toContain('$jobResult');
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
