/**
 * `AIQUM_URL` names an AIQUM server (the worker calls it); `AIQUM_JOBS_URL` names this project's HTTP API
 * (the CLI calls it). Their names are close, so each is checked for the clear signs of being the other.
 * Only clear signs: a URL that merely might be the other one is left alone.
 */

/** The areas of Unified Manager's REST API, the first segment after `/api/`. */
const aiqumApiAreas = new Set(['datacenter', 'storage-provider', 'management-server', 'gateways', 'admin']);

/** The path of an AIQUM server's REST API: ending in `/api`, or `/api/<area>/...` of Unified Manager. */
export function looksLikeAiqumServerApi(url: URL): boolean {
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  if (segments.at(-1) === 'api') return true;
  return segments.some((segment, index) => segment === 'api' && aiqumApiAreas.has(segments[index + 1] ?? ''));
}

/** The path of the aiqum-jobs HTTP API, whose operations all live under `/v1`. */
export function looksLikeAiqumJobsApi(url: URL): boolean {
  return url.pathname === '/v1' || url.pathname.startsWith('/v1/');
}
