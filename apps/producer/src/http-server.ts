import { BearerTokens, type Logger, type Secret } from '@aiqum-jobs/core';
import {
  type DeadLetters,
  type SubscriptionStore,
  subscriptionInputSchema,
  viewOfSubscription,
} from '@aiqum-jobs/webhooks';
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
import type { z } from 'zod';
import { apiRoutes, isDashboardRoute, isDocsPageAsset } from './api-routes.js';
import {
  type deadLetterPageSchema,
  deadLetterParamsSchema,
  type ErrorBody,
  eventsHeadersSchema,
  eventsQuerySchema,
  type healthAnswerSchema,
  idParamsSchema,
  type notReadyAnswerSchema,
  pageQuerySchema,
  type readyAnswerSchema,
  recentBatchesQuerySchema,
  type recentBatchesSchema,
  type replayAnswerSchema,
  submitHeadersSchema,
  type subscriptionCreatedSchema,
  type subscriptionListSchema,
} from './api-schemas.js';
import { dashboardPublicRoutes, loginRedirectOf, registerDashboard } from './dashboard.js';
import { DashboardSessions } from './dashboard-sessions.js';
import { registerDocsPage } from './docs-page.js';
import { issuesOfZodError } from './input-issues.js';
import { buildOpenApiDocument } from './openapi-document.js';
import type { Producer } from './producer.js';
import { ProducerError, producerErrorCodes } from './producer-error.js';
import type { ProducerMetrics } from './producer-metrics.js';
import { readSessionCookie } from './session-cookie.js';
import { type SseMessage, writeSseStream } from './sse.js';
import { WebhookService } from './webhook-service.js';

export interface ProducerServerOptions {
  producer: Producer;
  /** Webhook subscriptions and their dead letters, behind `/v1/subscriptions`. */
  webhooks: { subscriptions: SubscriptionStore; deadLetters: DeadLetters };
  logger: Logger;
  /** Accepted bearer tokens; empty serves without auth, to loopback clients only. */
  apiTokens: readonly Secret[];
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
  ...apiRoutes.filter((route) => !route.authenticated).map((route) => route.url),
  ...dashboardPublicRoutes,
]);
const describedRoutes = new Set(apiRoutes.map((route) => `${route.method} ${route.url}`));

/** The HTTP API. Every route is a thin layer over the {@link Producer} library: one code path. */
export function buildProducerServer(options: ProducerServerOptions): ProducerServer {
  const { producer, logger } = options;
  const webhooks = new WebhookService(options.webhooks, logger);
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: options.bodyLimitBytes ?? 8 * 1024 * 1024,
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

  // Every route is described in /openapi.json: one without an entry in apiRoutes fails the server's start.
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

  const apiTokens = new BearerTokens(options.apiTokens);
  const metricsTokens = new BearerTokens(options.metricsToken ? [options.metricsToken] : []);
  const sessions = new DashboardSessions({
    tokens: apiTokens,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  if (apiTokens.empty) {
    logger.warn(
      'no PRODUCER_API_TOKENS configured: the API accepts unauthenticated requests from loopback only',
    );
  }

  // The hook answers refusals itself: a plugin's own error handler (bull-board's) must not turn them into 500.
  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route !== undefined && (publicRoutes.has(route) || isDocsPageAsset(route))) return;
    if (apiTokens.empty) {
      if (isLoopbackAddress(request.socket.remoteAddress)) return;
      return refuse(
        reply,
        new ProducerError(producerErrorCodes.forbidden, 'this API serves loopback clients only'),
      );
    }
    if (apiTokens.accepts(request.headers.authorization)) return;
    // A dashboard session reads only: whatever changes something needs the bearer token.
    const reads = request.method === 'GET' || request.method === 'HEAD';
    if (reads && sessions.valid(readSessionCookie(request.headers.cookie))) return;
    const login = loginRedirectOf(request);
    if (login !== undefined) return reply.redirect(login);
    return refuse(reply, unauthorized(reply));
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

  const document = buildOpenApiDocument(apiRoutes);
  app.get('/openapi.json', async () => document);
  registerDocsPage(app, document);

  app.get('/metrics', async (request, reply) => {
    if (!metricsTokens.empty && !metricsTokens.accepts(request.headers.authorization)) {
      throw unauthorized(reply);
    }
    return reply.type(options.registry.contentType).send(await options.registry.metrics());
  });

  app.get('/healthz', async (): Promise<z.output<typeof healthAnswerSchema>> => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    try {
      await producer.ping();
      const ready: z.output<typeof readyAnswerSchema> = { status: 'ready' };
      return ready;
    } catch {
      const notReady: z.output<typeof notReadyAnswerSchema> = {
        status: 'unavailable',
        reason: 'Redis does not answer',
      };
      return reply.code(503).send(notReady);
    }
  });

  app.post('/v1/requests', async (request, reply) => {
    const answer = await producer.submit(request.body, idempotencyOf(request));
    const links = { self: `/v1/requests/${answer.requestId}` };
    return reply
      .code(202)
      .header('location', links.self)
      .send({ ...answer, links });
  });

  app.post('/v1/batches', async (request, reply) => {
    const answer = await producer.submitBatch(request.body, idempotencyOf(request));
    const self = `/v1/batches/${answer.batchId}`;
    const links = { self, requests: `${self}/requests`, events: `/v1/events?batchId=${answer.batchId}` };
    return reply
      .code(202)
      .header('location', self)
      .send({ ...answer, links });
  });

  app.get('/v1/requests/:id', async (request) => {
    const id = idOf(request);
    return (await producer.get(id)) ?? notFound('request', id);
  });

  app.delete('/v1/requests/:id', async (request) => producer.cancel(idOf(request)));

  app.post('/v1/requests/:id/poll', async (request, reply) =>
    reply.code(202).send(await producer.pollNow(idOf(request))),
  );

  app.get('/v1/batches', async (request): Promise<z.output<typeof recentBatchesSchema>> => {
    const { limit } = parse(recentBatchesQuerySchema, request.query);
    return { batches: await producer.recentBatches(limit) };
  });

  app.get('/v1/batches/:id', async (request) => {
    const id = idOf(request);
    return (await producer.getBatch(id)) ?? notFound('batch', id);
  });

  app.get('/v1/batches/:id/requests', async (request) => {
    const id = idOf(request);
    const page = parse(pageQuerySchema, request.query);
    const result = (await producer.listBatchRequests(id, page)) ?? notFound('batch', id);
    return { ...result, links: pageLinks(`/v1/batches/${id}/requests`, page, result.total) };
  });

  app.post('/v1/subscriptions', async (request, reply) => {
    const input = parse(subscriptionInputSchema, request.body);
    const subscription = await webhooks.create(input);
    const self = `/v1/subscriptions/${subscription.id}`;
    // The secret is shown this once: later answers never include it.
    const created: z.output<typeof subscriptionCreatedSchema> = {
      ...viewOfSubscription(subscription),
      secret: subscription.secret.reveal(),
      links: { self, deadLetters: `${self}/dead-letters` },
    };
    return reply.code(201).header('location', self).send(created);
  });

  app.get(
    '/v1/subscriptions',
    async (): Promise<z.output<typeof subscriptionListSchema>> => ({
      subscriptions: (await webhooks.list()).map(viewOfSubscription),
    }),
  );

  app.get('/v1/subscriptions/:id', async (request) => {
    const id = idOf(request);
    const subscription = (await webhooks.get(id)) ?? notFound('subscription', id);
    return viewOfSubscription(subscription);
  });

  app.delete('/v1/subscriptions/:id', async (request, reply) => {
    const id = idOf(request);
    const result = await webhooks.delete(id);
    if (result === 'not-found') notFound('subscription', id);
    if (result === 'configured') {
      throw new ProducerError(
        producerErrorCodes.subscriptionConfigured,
        `subscription ${id} comes from WEBHOOKS_FILE: remove it there`,
      );
    }
    return reply.code(204).send();
  });

  app.get(
    '/v1/subscriptions/:id/dead-letters',
    async (request): Promise<z.output<typeof deadLetterPageSchema>> => {
      const id = idOf(request);
      const page = parse(pageQuerySchema, request.query);
      if (!(await webhooks.get(id))) notFound('subscription', id);
      const result = await webhooks.deadLetters(id, page);
      const links = pageLinks(`/v1/subscriptions/${id}/dead-letters`, page, result.total);
      return { subscriptionId: id, ...page, ...result, links };
    },
  );

  app.post('/v1/subscriptions/:id/dead-letters/:deliveryId/replay', async (request, reply) => {
    const parsed = deadLetterParamsSchema.safeParse(request.params);
    if (!parsed.success) throw new ProducerError(producerErrorCodes.notFound, 'no such dead letter');
    const { id, deliveryId } = parsed.data;
    if (!(await webhooks.get(id))) notFound('subscription', id);
    if (!(await webhooks.replay(id, deliveryId))) notFound('dead letter', deliveryId);
    const queued: z.output<typeof replayAnswerSchema> = { deliveryId, status: 'queued' };
    return reply.code(202).send(queued);
  });

  const streams = new Set<AbortController>();
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.abort();
  });

  app.get('/v1/events', async (request, reply) => {
    const query = parse(eventsQuerySchema, request.query);
    const lastEventId = request.headers['last-event-id'];
    // A reconnecting EventSource sends the original URL plus Last-Event-ID: the header is the newer cursor.
    const after =
      typeof lastEventId === 'string' && lastEventId !== ''
        ? parse(eventsHeadersSchema.shape['Last-Event-ID'], lastEventId, 'Last-Event-ID')
        : query.after;
    const controller = new AbortController();
    const events = producer.events({
      signal: controller.signal,
      ...(query.batchId === undefined ? {} : { batchId: query.batchId }),
      ...(query.types === undefined ? {} : { types: query.types }),
      ...(after === undefined ? {} : { after }),
    });
    streams.add(controller);
    reply.raw.on('close', () => controller.abort());
    reply.hijack();
    try {
      await writeSseStream(reply.raw, toSseMessages(events, request.log), {
        signal: controller.signal,
        ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
      });
    } finally {
      streams.delete(controller);
      controller.abort();
      countAnswer(request, reply);
    }
  });

  registerDashboard(app, { tokens: apiTokens, sessions, queues: options.dashboardQueues ?? [] });

  return app;
}

async function* toSseMessages(
  events: ReturnType<Producer['events']>,
  log: FastifyRequest['log'],
): AsyncGenerator<SseMessage> {
  try {
    for await (const { streamId, event } of events) {
      yield { id: streamId, event: event.type, data: JSON.stringify(event) };
    }
  } catch (error) {
    // Headers are sent: the error travels as an event, and the client reconnects with Last-Event-ID.
    const answer = errorAnswer(error);
    log.warn({ err: error }, 'event stream ended by an error');
    yield { event: 'error', data: JSON.stringify(answer.body) };
  }
}

function idempotencyOf(request: FastifyRequest): { idempotencyKey?: string } {
  const key = parse(
    submitHeadersSchema.shape['Idempotency-Key'],
    request.headers['idempotency-key'],
    'Idempotency-Key',
  );
  return key === undefined ? {} : { idempotencyKey: key };
}

function idOf(request: FastifyRequest): string {
  const parsed = idParamsSchema.safeParse(request.params);
  if (!parsed.success) throw new ProducerError(producerErrorCodes.notFound, 'no such id');
  return parsed.data.id;
}

function notFound(kind: string, id: string): never {
  throw new ProducerError(producerErrorCodes.notFound, `no ${kind} ${id}`);
}

function parse<T extends z.ZodType>(schema: T, value: unknown, where?: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = issuesOfZodError(parsed.error).map((issue) =>
    where === undefined ? issue : { ...issue, path: where },
  );
  throw new ProducerError(
    producerErrorCodes.validationFailed,
    issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '),
    { issues },
  );
}

/** Answers a refusal directly, whatever error handler the route's plugin has. */
function refuse(reply: FastifyReply, error: ProducerError): FastifyReply {
  const { status, body } = errorAnswer(error);
  return reply.code(status).send(body);
}

function errorBody(code: string, message: string, extra: Partial<ErrorBody['error']> = {}): ErrorBody {
  return { error: { code, message, ...extra } };
}

function errorAnswer(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof ProducerError) {
    const extra: Partial<ErrorBody['error']> = {};
    if (error.issues) extra.issues = error.issues;
    if (error.details) extra.details = error.details;
    return { status: error.status, body: errorBody(error.code, error.message, extra) };
  }
  const fastifyError = error as Partial<FastifyError>;
  const status = fastifyError.statusCode ?? 500;
  if (status === 413) {
    return { status, body: errorBody(producerErrorCodes.bodyTooLarge, 'the request body is too large') };
  }
  if (status === 415) {
    return { status, body: errorBody(producerErrorCodes.unsupportedMediaType, 'send application/json') };
  }
  if (status >= 400 && status < 500) {
    const message = fastifyError.message ?? 'bad request';
    return {
      status: 400,
      body: errorBody(producerErrorCodes.validationFailed, message, {
        issues: [{ path: '(body)', message }],
      }),
    };
  }
  return { status: 500, body: errorBody(producerErrorCodes.internal, 'internal error') };
}

/** `self` and, while more remain, `next` of one page of a list. */
function pageLinks(
  path: string,
  page: { offset: number; limit: number },
  total: number,
): Record<string, string> {
  const links: Record<string, string> = { self: `${path}?offset=${page.offset}&limit=${page.limit}` };
  const next = page.offset + page.limit;
  if (next < total) links.next = `${path}?offset=${next}&limit=${page.limit}`;
  return links;
}

function unauthorized(reply: FastifyReply): ProducerError {
  reply.header('www-authenticate', 'Bearer');
  return new ProducerError(producerErrorCodes.unauthorized, 'a valid bearer token is required');
}

function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
