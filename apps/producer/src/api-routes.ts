import type { ApiRoute } from './api-route.js';
import { batchRoutes } from './batch-routes.js';
import { eventRoutes } from './event-routes.js';
import { operationRoutes } from './operation-routes.js';
import { requestRoutes } from './request-routes.js';
import { retryRoutes } from './retry-routes.js';
import { submitRoutes } from './submit-routes.js';
import { webhookRoutes } from './webhook-routes.js';

/**
 * Every route the API serves, in the order of `/openapi.json`. The server registers these, each with its
 * handler, in one loop, and refuses any other route (see `http-server.ts`), so a new route is described in
 * `/openapi.json` from its first run.
 */
export const apiRoutes: readonly ApiRoute[] = [
  ...submitRoutes,
  ...requestRoutes,
  ...batchRoutes,
  ...retryRoutes,
  ...eventRoutes,
  ...webhookRoutes,
  ...operationRoutes,
];
