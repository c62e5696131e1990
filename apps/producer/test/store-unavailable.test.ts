import { RedisServer } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRoute } from '../src/api-route.js';
import { apiRoutes } from '../src/api-routes.js';
import { errorBodySchema } from '../src/api-schemas.js';
import { auth, commandTimeoutMs, type Harness, labLun, ownTestRedis, startHarness } from './harness.js';

/** Routes that answer without Redis, or not with a status: each with why. */
const exempt: Readonly<Record<string, string>> = {
  'GET /healthz': 'liveness: reads nothing',
  'GET /readyz': 'answers its own 503 `unavailable` body (redis-down.test.ts)',
  'GET /metrics': 'answers without the Redis gauges while Redis is down',
  'GET /openapi.json': 'a document built at start',
  'GET /docs': 'a page built at start',
  'GET /dashboard': 'a static page; its data comes from the API routes',
  'GET /v1/events':
    'a stream: its headers go out before Redis is read, so a failure ends it with an `error` event',
};

/** A valid body of every route that takes one, by operationId. */
const bodies: Readonly<Record<string, unknown>> = {
  submitRequest: labLun,
  submitBatch: { requests: [labLun] },
  retryRequest: { force: true },
  retryBatch: { outcomes: ['failed'] },
  // A public address literal: the allowlist passes it without a DNS lookup.
  createSubscription: { url: 'https://93.184.215.14/hook' },
};

const keyOf = (route: ApiRoute) => `${route.method} ${route.url}`;
const storedRoutes = apiRoutes.filter((route) => exempt[keyOf(route)] === undefined);

function requestOf(route: ApiRoute) {
  const body = bodies[route.operationId];
  if (route.body) {
    if (body === undefined) throw new Error(`no body for ${keyOf(route)} in bodies`);
    route.body.schema.parse(body);
  }
  return {
    method: route.method,
    // Ids that pass the params' schemas and name nothing.
    url: route.url.replace(/:(\w+)/g, (_match, name: string) => `missing-${name}`),
    headers: auth,
    ...(route.body ? { payload: body as object } : {}),
  };
}

/** Every route that reads or writes Redis answers 503 STORE_UNAVAILABLE, in the API's error shape. */
async function expectEveryRouteUnavailable(h: Harness, withinMs: number): Promise<void> {
  const answers = await Promise.all(
    storedRoutes.map(async (route) => {
      const started = performance.now();
      const response = await h.server.inject(requestOf(route));
      const body: unknown = response.json();
      return {
        route: keyOf(route),
        status: response.statusCode,
        code: errorBodySchema.safeParse(body).data?.error.code,
        inTime: performance.now() - started < withinMs,
      };
    }),
  );
  expect(answers).toEqual(
    storedRoutes.map((route) => ({
      route: keyOf(route),
      status: 503,
      code: 'STORE_UNAVAILABLE',
      inTime: true,
    })),
  );
}

describe('every route that touches Redis, while Redis is unreachable', () => {
  let redisServer: RedisServer;
  let h: Harness;

  beforeAll(async () => {
    redisServer = await RedisServer.start();
    h = await startHarness({ testRedis: ownTestRedis(redisServer, 'unavailable') });
  });
  afterAll(() => h.close());

  it('lists only routes of the table as exempt', () => {
    const routes = new Set(apiRoutes.map(keyOf));
    expect(Object.keys(exempt).filter((route) => !routes.has(route))).toEqual([]);
  });

  it('documents the 503 on every route that touches Redis', () => {
    const undocumented = storedRoutes.filter((route) => !route.errors.includes('STORE_UNAVAILABLE'));
    expect(undocumented.map(keyOf)).toEqual([]);
  });

  it('answers 503 STORE_UNAVAILABLE within one command timeout while Redis hangs', async () => {
    await redisServer.pause();
    try {
      await expectEveryRouteUnavailable(h, commandTimeoutMs + 1_000);
    } finally {
      redisServer.signal('SIGCONT');
    }
    await h.redis.ping();
  });

  it('answers 503 STORE_UNAVAILABLE at once when Redis is gone', async () => {
    await redisServer.stop();
    await expectEveryRouteUnavailable(h, commandTimeoutMs / 2);
  });
});
