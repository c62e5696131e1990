import { apiRoutes } from './api-routes.js';
import type { ApiScope } from './api-scopes.js';
import { dashboardPath, isDashboardRoute } from './page-paths.js';

const scopeByRoute = new Map<string, ApiScope>();
for (const route of apiRoutes) {
  if (route.access !== 'public') scopeByRoute.set(`${route.method} ${route.url}`, route.access);
}

/** The dashboard's pages, files and bull-board need what its entry in the route table says. */
const dashboardScope = scopeByRoute.get(`GET ${dashboardPath}`) ?? 'admin';

/**
 * The scope a token needs for a route of the table (a HEAD as its GET), or for one of the dashboard's own
 * routes; undefined for no route at all, which answers 404 to any authenticated caller. Any other route
 * cannot be registered (see the `onRoute` hook of `http-server.ts`): were one added anyway, it needs `admin`.
 */
export function scopeOfRoute(method: string, url: string | undefined): ApiScope | undefined {
  if (url === undefined) return undefined;
  const described = scopeByRoute.get(`${method === 'HEAD' ? 'GET' : method} ${url}`);
  if (described !== undefined) return described;
  return isDashboardRoute(url) ? dashboardScope : 'admin';
}
