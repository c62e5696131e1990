import type { Logger } from '@aiqum-jobs/contracts';
import { BearerTokens, type Secret } from '@aiqum-jobs/core';
import type { DeadLetters, SubscriptionStore } from '@aiqum-jobs/webhooks';
import type { Queue } from 'bullmq';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import type { Registry } from 'prom-client';
import { type ApiCaller, callerOfToken, localCaller, scopeRefusal } from './api-caller.js';
import type { RouteContext } from './api-route.js';
import { apiRoutes } from './api-routes.js';
import type { ApiToken } from './api-token-config.js';
import { createCallerKey } from './caller-key.js';
import { dashboardPublicRoutes, loginRedirectOf, registerDashboard } from './dashboard.js';
import { DashboardSessions } from './dashboard-sessions.js';
import { registerDocsPage } from './docs-page.js';
import { errorAnswer, errorBody, unauthorized } from './error-answer.js';
import { EventStreamSlots } from './event-stream-slots.js';
import { loopbackRefusal } from './loopback-guard.js';
import { buildOpenApiDocument } from './openapi-document.js';
import { isDashboardRoute, isDocsPageAsset } from './page-paths.js';
import type { Producer } from './producer.js';
import type { ProducerLimits } from './producer-config.js';
import { type ProducerError, producerErrorCodes } from './producer-error.js';
import type { ProducerMetrics } from './producer-metrics.js';
import { isRateLimited, registerRateLimits } from './rate-limits.js';
import { scopeOfRoute } from './route-scopes.js';
import { readSessionCookie } from './session-cookie.js';
import { WebhookService } from './webhook-service.js';

export interface ProducerServerOptions {
  producer: Producer;
  /** Webhook subscriptions and their dead letters, behind `/v1/subscriptions`. */
  webhooks: { subscriptions: SubscriptionStore; deadLetters: DeadLetters };
  logger: Logger;
  /** Accepted bearer tokens, with their names and scopes; empty serves without auth, to loopback clients only. */
  apiTokens: readonly ApiToken[];
  /** Served at `/metrics`. */
  registry: Registry;
  /** Counts every HTTP request. */
  metrics: ProducerMetrics;
  /** When set, `/metrics` asks for `Authorization: Bearer <token>`. @defaultValue open, like `/healthz` */
  metricsToken?: Secret | undefined;
  /** Largest request body; larger ones get 413. @defaultValue 8 MiB */
  bodyLimitBytes?: number;
  /** Interval of SSE heartbeat comments. @defaultValue 15000 */
  heartbeatMs?: number;
  /** Caps on streams, request rates and slow requests. @defaultValue those of {@link defaultProducerLimits} */
  limits?: ProducerLimits;
  /** BullMQ queues the dashboard shows (bull-board, read-only). @defaultValue none */
  dashboardQueues?: readonly Queue[];
  /** Clock of dashboard sessions. @defaultValue `Date.now` */
  now?: () => number;
}

/** The Fastify instance of the API, typed with the project's pino logger. */
export type ProducerServer = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  Logger
>;

/** The `route` label of a request that matched no route: never its URL, which is unbounded. */
const unmatchedRoute = '(unmatched)';

const publicRoutes = new Set([
  ...apiRoutes.filter((route) => route.access === 'public').map((route) => route.url),
  ...dashboardPublicRoutes,
]);
const describedRoutes = new Set(apiRoutes.map((route) => `${route.method} ${route.url}`));
const unlimitedRoutes = new Set(apiRoutes.filter((route) => !isRateLimited(route)).map((route) => route.url));

/** The limits of a server built without any: those of the configuration's defaults. */
export const defaultProducerLimits: ProducerLimits = {
  maxEventStreams: 100,
  maxEventStreamsPerToken: 10,
  rateLimitPerMinute: 1_200,
  loginRateLimitPerMinute: 10,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
};

/** The HTTP API. Every route is a thin layer over the {@link Producer} library: one code path. */
export function buildProducerServer(options: ProducerServerOptions): ProducerServer {
  const { producer, logger } = options;
  const limits = options.limits ?? defaultProducerLimits;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: options.bodyLimitBytes ?? 8 * 1024 * 1024,
    // A client that sends its headers or its body slowly cannot hold a connection (slowloris): Node closes
    // it with 408 once the time is up. Streams are not affected: the timeouts end when the request has
    // arrived, whatever the answer takes. Node checks every connection once per interval.
    requestTimeout: limits.requestTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
    },
    // Ids go into Redis keys and URLs are logged: keep both bounded.
    routerOptions: { maxParamLength: 200 },
    // A malformed percent-encoding in the URL fails in the router, before any hook or error handler:
    // answer it in the API's error shape too.
    frameworkErrors: (error, _request, reply: FastifyReply) =>
      reply.code(400).send(
        errorBody(producerErrorCodes.validationFailed, error.message, {
          issues: [{ path: '(url)', message: error.message }],
        }),
      ),
  });

  // The route loop below registers apiRoutes; a plugin's route (the docs page's, the dashboard's) or any
  // other without an entry there fails the server's start, so /openapi.json describes every route.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (
        method === 'HEAD' ||
        isDocsPageAsset(route.url) ||
        isDashboardRoute(route.url) ||
        describedRoutes.has(`${method} ${route.url}`)
      ) {
        continue;
      }
      throw new Error(
        `${method} ${route.url} is not in apiRoutes (api-routes.ts): describe it there, so /openapi.json stays complete`,
      );
    }
  });

  app.decorateRequest('caller', undefined);
  const apiTokens = new BearerTokens(options.apiTokens.map(({ token }) => token));
  // In the order of apiTokens: BearerTokens tells which token by its index.
  const callers = options.apiTokens.map(callerOfToken);
  const metricsTokens = new BearerTokens(options.metricsToken ? [options.metricsToken] : []);
  const sessions = new DashboardSessions({
    tokens: apiTokens,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  if (apiTokens.empty) {
    logger.warn('no API tokens configured: the API accepts unauthenticated requests from loopback only');
  }

  /**
   * The caller a token or a dashboard session names; undefined when neither is valid. Checked once per
   * request (digests, a session's HMAC): the rate limit, the auth hook and the stream cap all ask.
   */
  const checkedCallers = new WeakMap<FastifyRequest, { caller: ApiCaller | undefined }>();
  const callerOfCredentials = (request: FastifyRequest): ApiCaller | undefined => {
    const checked = checkedCallers.get(request);
    if (checked !== undefined) return checked.caller;
    const holder = apiTokens.holderOf(request.headers.authorization);
    // A dashboard session reads only: whatever changes something needs the bearer token.
    const reads = request.method === 'GET' || request.method === 'HEAD';
    const signer =
      holder === undefined && reads
        ? sessions.signerOf(readSessionCookie(request.headers.cookie))
        : undefined;
    const index = holder ?? signer;
    const caller = index === undefined ? undefined : callers[index];
    checkedCallers.set(request, { caller });
    return caller;
  };

  const limitKeyOf = createCallerKey(callerOfCredentials);
  // Before the auth hook: refused credentials use up the budget too.
  app.addHook(
    'onRequest',
    registerRateLimits(
      app,
      {
        perMinute: limits.rateLimitPerMinute,
        loginPerMinute: limits.loginRateLimitPerMinute,
        exemptRoutes: unlimitedRoutes,
      },
      limitKeyOf,
    ),
  );

  // The hook answers refusals itself: a plugin's own error handler (bull-board's) must not turn them into 500.
  // It enforces, for every route, the scope the route table says the route needs.
  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route !== undefined && (publicRoutes.has(route) || isDocsPageAsset(route))) return;
    let caller: ApiCaller;
    if (apiTokens.empty) {
      const refusal = loopbackRefusal(request);
      if (refusal !== undefined) return refuse(reply, refusal);
      caller = localCaller;
    } else {
      const found = callerOfCredentials(request);
      if (found === undefined) {
        const login = loginRedirectOf(request);
        if (login !== undefined) return reply.redirect(login);
        return refuse(reply, unauthorized(reply));
      }
      caller = found;
    }
    request.caller = caller;
    // The token's name, never the token, on every line this request logs, "request completed" included.
    request.log = request.log.child({ caller: caller.name });
    reply.log = request.log;
    const needed = scopeOfRoute(request.method, route);
    const refusal = needed === undefined ? undefined : scopeRefusal(caller, needed);
    if (refusal !== undefined) {
      request.log.info({ scope: needed }, 'refused: the token lacks the scope');
      return refuse(reply, refusal);
    }
    return undefined;
  });

  const countAnswer = (request: FastifyRequest, reply: FastifyReply) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? unmatchedRoute,
      status: String(reply.raw.statusCode),
    };
    options.metrics.httpRequests.inc(labels);
    options.metrics.httpRequestDuration.observe(labels, reply.elapsedTime / 1000);
  };
  // Event streams take over their reply (no onResponse): they are counted when they end.
  app.addHook('onResponse', async (request, reply) => countAnswer(request, reply));

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, body } = errorAnswer(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.code(status).send(body);
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody(producerErrorCodes.notFound, `no route ${request.method} ${request.url}`)),
  );

  const context: RouteContext = {
    producer,
    webhooks: new WebhookService(options.webhooks, logger),
    registry: options.registry,
    metricsTokens,
    document: buildOpenApiDocument(apiRoutes),
    streams: new Set(),
    streamSlots: new EventStreamSlots({
      max: limits.maxEventStreams,
      maxPerCaller: limits.maxEventStreamsPerToken,
    }),
    limitKeyOf,
    heartbeatMs: options.heartbeatMs,
    countAnswer,
  };
  app.addHook('preClose', async () => {
    for (const stream of context.streams) stream.abort();
  });
  for (const route of apiRoutes) {
    const { handler } = route;
    if (typeof handler !== 'function') continue;
    app.route({
      method: route.method,
      url: route.url,
      handler: (request, reply) => handler(request, reply, context),
    });
  }
  registerDocsPage(app, context.document);
  registerDashboard(app, { tokens: apiTokens, sessions, queues: options.dashboardQueues ?? [] });

  return app;
}

/** Answers a refusal directly, whatever error handler the route's plugin has. */
function refuse(reply: FastifyReply, error: ProducerError): FastifyReply {
  const { status, body } = errorAnswer(error);
  return reply.code(status).send(body);
}
