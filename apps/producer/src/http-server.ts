import { createHash, timingSafeEqual } from 'node:crypto';
import { type EventType, eventTypes, type Logger, type Secret } from '@aiqum-jobs/core';
import {
  type DeadLetters,
  type SubscriptionStore,
  subscriptionInputSchema,
  viewOfSubscription,
  WebhookUrlError,
} from '@aiqum-jobs/webhooks';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import { z } from 'zod';
import {
  deadLetterParamsSchema,
  type ErrorBody,
  idParamsSchema,
  pageQuerySchema,
  streamIdSchema,
} from './api-schemas.js';
import { issuesOfZodError } from './input-issues.js';
import type { Producer } from './producer.js';
import { ProducerError, producerErrorCodes } from './producer-error.js';
import { type SseMessage, writeSseStream } from './sse.js';

export interface ProducerServerOptions {
  producer: Producer;
  /** Webhook subscriptions and their dead letters, behind `/v1/subscriptions`. */
  webhooks: { subscriptions: SubscriptionStore; deadLetters: DeadLetters };
  logger: Logger;
  /** Accepted bearer tokens; empty serves without auth, to loopback clients only. */
  apiTokens: readonly Secret[];
  /** Largest request body; larger ones get 413. @defaultValue 8 MiB */
  bodyLimitBytes?: number;
  /** Interval of SSE heartbeat comments. @defaultValue 15000 */
  heartbeatMs?: number;
}

const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1-255 visible ASCII characters')
  .optional();

const eventsQuerySchema = z
  .object({
    batchId: z.string().min(1).max(128).optional(),
    types: z
      .string()
      .transform((value) => value.split(',').filter((type) => type !== ''))
      .pipe(z.array(z.enum(eventTypes as [EventType, ...EventType[]])))
      .optional(),
    after: streamIdSchema.optional(),
  })
  .strict();

/** The Fastify instance of the API, typed with the project's pino logger. */
export type ProducerServer = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  Logger
>;

const unauthenticatedRoutes = new Set(['/healthz', '/readyz']);

/** The HTTP API. Every route is a thin layer over the {@link Producer} library: one code path. */
export function buildProducerServer(options: ProducerServerOptions): ProducerServer {
  const { producer, logger } = options;
  const { subscriptions, deadLetters } = options.webhooks;
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

  const tokenDigests = options.apiTokens.map((token) => sha256(token.reveal()));
  if (tokenDigests.length === 0) {
    logger.warn(
      'no PRODUCER_API_TOKENS configured: the API accepts unauthenticated requests from loopback only',
    );
  }

  app.addHook('onRequest', async (request, reply) => {
    if (unauthenticatedRoutes.has(request.url)) return;
    if (tokenDigests.length === 0) {
      if (!isLoopbackAddress(request.socket.remoteAddress)) {
        throw new ProducerError(producerErrorCodes.forbidden, 'this API serves loopback clients only');
      }
      return;
    }
    const match = /^Bearer ([^\s]+)$/i.exec(request.headers.authorization ?? '');
    if (!match?.[1] || !tokenMatches(match[1], tokenDigests)) {
      reply.header('www-authenticate', 'Bearer');
      throw new ProducerError(producerErrorCodes.unauthorized, 'a valid bearer token is required');
    }
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, body } = errorAnswer(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.code(status).send(body);
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody(producerErrorCodes.notFound, `no route ${request.method} ${request.url}`)),
  );

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    try {
      await producer.ping();
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'unavailable', reason: 'Redis does not answer' });
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

  app.get('/v1/batches/:id', async (request) => {
    const id = idOf(request);
    return (await producer.getBatch(id)) ?? notFound('batch', id);
  });

  app.get('/v1/batches/:id/requests', async (request) => {
    const id = idOf(request);
    const page = parse(pageQuerySchema, request.query);
    const result = (await producer.listBatchRequests(id, page)) ?? notFound('batch', id);
    const next = page.offset + page.limit;
    const links: Record<string, string> = {
      self: `/v1/batches/${id}/requests?offset=${page.offset}&limit=${page.limit}`,
    };
    if (next < result.total) links.next = `/v1/batches/${id}/requests?offset=${next}&limit=${page.limit}`;
    return { ...result, links };
  });

  app.post('/v1/subscriptions', async (request, reply) => {
    const input = parse(subscriptionInputSchema, request.body);
    let subscription: Awaited<ReturnType<SubscriptionStore['create']>>;
    try {
      subscription = await subscriptions.create(input);
    } catch (error) {
      if (!(error instanceof WebhookUrlError)) throw error;
      throw new ProducerError(producerErrorCodes.validationFailed, `url: ${error.message}`, {
        issues: [{ path: 'url', message: error.message }],
      });
    }
    const self = `/v1/subscriptions/${subscription.id}`;
    // The secret is shown this once: later answers never include it.
    return reply
      .code(201)
      .header('location', self)
      .send({
        ...viewOfSubscription(subscription),
        secret: subscription.secret.reveal(),
        links: { self, deadLetters: `${self}/dead-letters` },
      });
  });

  app.get('/v1/subscriptions', async () => ({
    subscriptions: (await subscriptions.list()).map(viewOfSubscription),
  }));

  app.get('/v1/subscriptions/:id', async (request) => {
    const id = idOf(request);
    const subscription = (await subscriptions.get(id)) ?? notFound('subscription', id);
    return viewOfSubscription(subscription);
  });

  app.delete('/v1/subscriptions/:id', async (request, reply) => {
    const id = idOf(request);
    const result = await subscriptions.delete(id);
    if (result === 'not-found') notFound('subscription', id);
    if (result === 'configured') {
      throw new ProducerError(
        producerErrorCodes.subscriptionConfigured,
        `subscription ${id} comes from WEBHOOKS_FILE: remove it there`,
      );
    }
    return reply.code(204).send();
  });

  app.get('/v1/subscriptions/:id/dead-letters', async (request) => {
    const id = idOf(request);
    const page = parse(pageQuerySchema, request.query);
    if (!(await subscriptions.get(id))) notFound('subscription', id);
    const result = await deadLetters.list(id, page);
    const self = `/v1/subscriptions/${id}/dead-letters`;
    const links: Record<string, string> = { self: `${self}?offset=${page.offset}&limit=${page.limit}` };
    const next = page.offset + page.limit;
    if (next < result.total) links.next = `${self}?offset=${next}&limit=${page.limit}`;
    return { subscriptionId: id, ...page, ...result, links };
  });

  app.post('/v1/subscriptions/:id/dead-letters/:deliveryId/replay', async (request, reply) => {
    const parsed = deadLetterParamsSchema.safeParse(request.params);
    if (!parsed.success) throw new ProducerError(producerErrorCodes.notFound, 'no such dead letter');
    const { id, deliveryId } = parsed.data;
    if (!(await subscriptions.get(id))) notFound('subscription', id);
    if (!(await deadLetters.replay(id, deliveryId))) notFound('dead letter', deliveryId);
    return reply.code(202).send({ deliveryId, status: 'queued' });
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
        ? parse(streamIdSchema, lastEventId, 'Last-Event-ID')
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
    }
  });

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
  const key = parse(idempotencyKeySchema, request.headers['idempotency-key'], 'Idempotency-Key');
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

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Hashing first gives equal lengths, so the comparison takes the same time whatever the token. */
function tokenMatches(given: string, digests: readonly Buffer[]): boolean {
  const digest = sha256(given);
  let matched = false;
  for (const expected of digests) matched = timingSafeEqual(digest, expected) || matched;
  return matched;
}

function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
