// Writes the specification answers with 202 and a result instead of a job: data placement "accepts" a
// request and answers at once with the recommended aggregate (SPEC `/storage-provider/data-placement`,
// `/storage-provider/data-placement/balance`, response 202 `#/definitions/aggregate`).
const resultRoutes: ReadonlyArray<{ method: string; path: RegExp }> = [
  { method: 'POST', path: /^\/api\/(?:v\d+\/)?storage-provider\/data-placement(?:\/balance)?\/?$/ },
];

/** Whether a 202 from `method path` without a job reference is the answer itself, not a lost job. */
export function answersWithoutJob(method: string, path: string): boolean {
  const queryStart = path.indexOf('?');
  const pathPart = queryStart === -1 ? path : path.slice(0, queryStart);
  return resultRoutes.some((route) => route.method === method && route.path.test(pathPart));
}
