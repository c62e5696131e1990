import type { ReferenceIssue } from './name-references.js';

/** What the order checks read of a batch's request. */
interface Ordered {
  ref?: string | undefined;
  dependsOn?: readonly string[] | undefined;
}

/**
 * The problems of a batch's order, each at the request it concerns: a ref given twice, a `dependsOn` naming
 * no ref of the batch, and a cycle (named once, e.g. `a → b → c → a`, read "a depends on b, which depends
 * on c, ..."). Iterative, linear in the requests and their dependencies: batches hold 10,000 requests.
 */
export function batchOrderIssues(requests: readonly Ordered[]): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  const indexOfRef = new Map<string, number>();
  requests.forEach((request, index) => {
    if (request.ref === undefined) return;
    const first = indexOfRef.get(request.ref);
    if (first === undefined) indexOfRef.set(request.ref, index);
    else {
      issues.push({
        path: ['requests', index, 'ref'],
        message: `ref "${request.ref}" is also the ref of requests[${first}]: refs are unique in a batch`,
      });
    }
  });
  requests.forEach((request, index) => {
    request.dependsOn?.forEach((ref, position) => {
      if (!indexOfRef.has(ref)) {
        issues.push({
          path: ['requests', index, 'dependsOn', position],
          message: `no request of the batch has ref "${ref}"`,
        });
      }
    });
  });
  if (issues.length > 0) return issues;
  const cycle = findCycle(requests, indexOfRef);
  if (cycle !== undefined) {
    const refs = cycle.map((index) => requests[index]?.ref ?? String(index));
    issues.push({
      path: ['requests', cycle[0] ?? 0, 'dependsOn'],
      message: `dependsOn forms a cycle: ${[...refs, refs[0]].join(' → ')}`,
    });
  }
  return issues;
}

/**
 * One cycle of the dependency graph as request indexes, or undefined. Kahn's algorithm removes every request
 * that does not sit on or after a cycle; from one that is left, following a dependency that is also left
 * must come back to a request already seen, and the walk from there is a cycle.
 */
function findCycle(
  requests: readonly Ordered[],
  indexOfRef: ReadonlyMap<string, number>,
): number[] | undefined {
  const unmet = requests.map((request) => request.dependsOn?.length ?? 0);
  const dependants: number[][] = requests.map(() => []);
  requests.forEach((request, index) => {
    for (const ref of request.dependsOn ?? []) dependants[indexOfRef.get(ref) ?? index]?.push(index);
  });
  const ready = unmet.flatMap((count, index) => (count === 0 ? [index] : []));
  for (let next = ready.pop(); next !== undefined; next = ready.pop()) {
    for (const dependant of dependants[next] ?? []) {
      unmet[dependant] = (unmet[dependant] ?? 0) - 1;
      if (unmet[dependant] === 0) ready.push(dependant);
    }
  }
  const start = unmet.findIndex((count) => count > 0);
  if (start === -1) return undefined;
  const seenAt = new Map<number, number>();
  const walk: number[] = [];
  let current = start;
  while (!seenAt.has(current)) {
    seenAt.set(current, walk.length);
    walk.push(current);
    const left = (requests[current]?.dependsOn ?? [])
      .map((ref) => indexOfRef.get(ref) ?? current)
      .find((dependency) => (unmet[dependency] ?? 0) > 0);
    // A request left by Kahn's algorithm always has a dependency that was left too.
    if (left === undefined) return undefined;
    current = left;
  }
  return walk.slice(seenAt.get(current));
}
