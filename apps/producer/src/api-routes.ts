import { batchInputSchema, requestInputSchema, requestViewSchema } from '@aiqum-jobs/core';
import { subscriptionInputSchema, subscriptionViewSchema } from '@aiqum-jobs/webhooks';
import type { z } from 'zod';
import {
  batchRequestsPageSchema,
  batchResponseSchema,
  batchViewSchema,
  deadLetterPageSchema,
  deadLetterParamsSchema,
  eventStreamMessageSchema,
  eventsHeadersSchema,
  eventsQuerySchema,
  healthAnswerSchema,
  idParamsSchema,
  notReadyAnswerSchema,
  pageQuerySchema,
  readyAnswerSchema,
  recentBatchesQuerySchema,
  recentBatchesSchema,
  replayAnswerSchema,
  submitHeadersSchema,
  submitResponseSchema,
  subscriptionCreatedSchema,
  subscriptionListSchema,
} from './api-schemas.js';
import { producerErrorCodes as codes, type ProducerErrorCode } from './producer-error.js';

/** The groups of operations in the document, with what they hold. */
export const apiTags = {
  requests: 'One AIQUM API call: queue it, read it, cancel it, poll its job now.',
  batches: 'Many calls submitted together, and their progress.',
  events: 'Completion events, live.',
  webhooks: 'Subscriptions that get events as signed HTTP POSTs, and their dead letters.',
  operations: 'Probes and this documentation; no token needed.',
  dashboard: 'Pages for people, in a browser.',
} as const;

/** One answer of a route besides its errors. */
export interface ApiResponse {
  description: string;
  /** @defaultValue application/json */
  mediaType?: 'application/json' | 'text/event-stream' | 'text/html' | 'text/plain';
  /**
   * Schema of the body (of one message, for an event stream); left out for a body described in words.
   * A 204 answer has no body, and no media type either.
   */
  body?: z.ZodType;
  /** Response headers by name, with what they hold. */
  headers?: Readonly<Record<string, string>>;
}

/**
 * One route of the HTTP API as `/openapi.json` describes it. The schemas are the ones the route parses
 * its input with and builds its answers from, so the document cannot describe another API than the one
 * served.
 */
export interface ApiRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** Fastify's form: `/v1/requests/:id`. */
  url: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: keyof typeof apiTags;
  /** Needs a bearer token (without tokens configured: a loopback client). */
  authenticated: boolean;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** Request headers the route reads, by their canonical names. */
  headers?: z.ZodObject;
  body?: { schema: z.ZodType; description: string };
  /** Answers by HTTP status, except errors. */
  responses: Readonly<Record<number, ApiResponse>>;
  /** Error codes the route answers with, besides `INTERNAL_ERROR` and the auth errors every authenticated route has. */
  errors: readonly ProducerErrorCode[];
}

/** Where the docs page is served. */
export const docsPagePath = '/docs';

/**
 * Whether a route is one of the docs page's own (its scripts, styles and a copy of the document): served,
 * but not an operation of the API, so not in the document.
 */
export function isDocsPageAsset(url: string): boolean {
  return url.startsWith(`${docsPagePath}/`);
}

/** Where the dashboard is served. */
export const dashboardPath = '/dashboard';

/**
 * Whether a route is one of the dashboard's own (its pages, their files, the login, bull-board): served to
 * browsers, but not an operation of the API, so not in the document. The data its pages show comes from
 * the API's operations.
 */
export function isDashboardRoute(url: string): boolean {
  return url.startsWith(`${dashboardPath}/`);
}

const submitErrors = [
  codes.validationFailed,
  codes.unknownTarget,
  codes.idempotencyKeyReused,
  codes.idempotencyInProgress,
  codes.bodyTooLarge,
  codes.unsupportedMediaType,
  codes.storeUnavailable,
];

/**
 * Every route the API serves. The server refuses to register a route that is not here (see
 * `http-server.ts`), so a new route is described in `/openapi.json` from its first run.
 */
export const apiRoutes: readonly ApiRoute[] = [
  {
    method: 'POST',
    url: '/v1/requests',
    operationId: 'submitRequest',
    summary: 'Queue one AIQUM API call',
    description:
      'Stored and queued at once; a worker submits it to AIQUM and tracks the AIQUM job it answers with. ' +
      'The request can only reach a configured target, and `path` must be a relative path under `/api/` ' +
      '(no scheme, host, `..`, encoded slashes, control or raw non-ASCII characters).',
    tag: 'requests',
    authenticated: true,
    headers: submitHeadersSchema,
    body: { schema: requestInputSchema, description: 'the call to make' },
    responses: {
      202: {
        description: 'Queued.',
        body: submitResponseSchema,
        headers: { Location: 'the URL of the request' },
      },
    },
    errors: submitErrors,
  },
  {
    method: 'POST',
    url: '/v1/batches',
    operationId: 'submitBatch',
    summary: 'Queue a batch of AIQUM API calls',
    description: 'Up to 10,000 requests, stored together and queued in one bulk call; all or none.',
    tag: 'batches',
    authenticated: true,
    headers: submitHeadersSchema,
    body: { schema: batchInputSchema, description: 'the calls to make' },
    responses: {
      202: {
        description: 'Queued, with the request ids in batch order.',
        body: batchResponseSchema,
        headers: { Location: 'the URL of the batch' },
      },
    },
    errors: submitErrors,
  },
  {
    method: 'GET',
    url: '/v1/requests/:id',
    operationId: 'getRequest',
    summary: 'Read a request',
    description:
      'Its status, outcome, AIQUM job, last job state, results and error. Timestamps are epoch ms.',
    tag: 'requests',
    authenticated: true,
    params: idParamsSchema,
    responses: { 200: { description: 'The request.', body: requestViewSchema } },
    errors: [codes.notFound, codes.storeUnavailable],
  },
  {
    method: 'DELETE',
    url: '/v1/requests/:id',
    operationId: 'cancelRequest',
    summary: 'Cancel a request',
    description:
      'Ends a request that has not completed as `cancelled` and takes its waiting queue job out. ' +
      'The AIQUM job itself, if one was started, keeps running. 409 `REQUEST_COMPLETED` (with ' +
      '`details.outcome`) when it already ended.',
    tag: 'requests',
    authenticated: true,
    params: idParamsSchema,
    responses: { 200: { description: 'The request, now completed as cancelled.', body: requestViewSchema } },
    errors: [codes.notFound, codes.requestCompleted, codes.storeUnavailable],
  },
  {
    method: 'POST',
    url: '/v1/requests/:id/poll',
    operationId: 'pollRequestNow',
    summary: "Poll a request's AIQUM job now",
    description:
      'Moves the waiting poll of a tracked request to now. 409 `NOT_POLLABLE` when it is not tracking ' +
      'or no poll is waiting.',
    tag: 'requests',
    authenticated: true,
    params: idParamsSchema,
    responses: { 202: { description: 'The poll was moved to now.', body: requestViewSchema } },
    errors: [codes.notFound, codes.notPollable, codes.storeUnavailable],
  },
  {
    method: 'GET',
    url: '/v1/batches',
    operationId: 'listRecentBatches',
    summary: 'List the recently active batches',
    description:
      'The batches that have events among the latest 2,000 of the event stream, the most recent first: ' +
      'those running or recently ended. A batch whose requests AIQUM has not accepted yet is not among them.',
    tag: 'batches',
    authenticated: true,
    query: recentBatchesQuerySchema,
    responses: { 200: { description: 'The batches.', body: recentBatchesSchema } },
    errors: [codes.validationFailed, codes.storeUnavailable],
  },
  {
    method: 'GET',
    url: '/v1/batches/:id',
    operationId: 'getBatch',
    summary: 'Read the progress of a batch',
    tag: 'batches',
    authenticated: true,
    params: idParamsSchema,
    responses: { 200: { description: 'Counts by status and by outcome.', body: batchViewSchema } },
    errors: [codes.notFound, codes.storeUnavailable],
  },
  {
    method: 'GET',
    url: '/v1/batches/:id/requests',
    operationId: 'listBatchRequests',
    summary: 'List the requests of a batch',
    description: 'In batch order, one page at a time; `links.next` is there while more follow.',
    tag: 'batches',
    authenticated: true,
    params: idParamsSchema,
    query: pageQuerySchema,
    responses: { 200: { description: 'One page of requests.', body: batchRequestsPageSchema } },
    errors: [codes.validationFailed, codes.notFound, codes.storeUnavailable],
  },
  {
    method: 'GET',
    url: '/v1/events',
    operationId: 'streamEvents',
    summary: 'Follow events as server-sent events',
    description:
      'Each message has `id:` (its stream entry id), `event:` (its type) and one `data:` line of JSON: an ' +
      '`Event`. A failure after the stream opened ends it with an `error` message whose data is an error ' +
      'body; reconnect with `Last-Event-ID`. Comment lines keep the stream alive (every 15 s).',
    tag: 'events',
    authenticated: true,
    query: eventsQuerySchema,
    headers: eventsHeadersSchema,
    responses: {
      200: {
        description: 'The event stream; the schema is that of one message, with `data` parsed.',
        mediaType: 'text/event-stream',
        body: eventStreamMessageSchema,
      },
    },
    errors: [codes.validationFailed],
  },
  {
    method: 'POST',
    url: '/v1/subscriptions',
    operationId: 'createSubscription',
    summary: 'Subscribe a URL to events',
    description:
      'Each matching event is POSTed to `url`, signed with the secret (see the README). The URL must pass ' +
      'the allowlist (no loopback, private, link-local or reserved address unless allowed by ' +
      '`WEBHOOK_ALLOW_PRIVATE` or `WEBHOOK_ALLOWED_NETWORKS`); a refused one is a 400 that says why. The ' +
      'secret is generated when left out, and shown in this answer only.',
    tag: 'webhooks',
    authenticated: true,
    body: { schema: subscriptionInputSchema, description: 'where to deliver, and which events' },
    responses: {
      201: {
        description: 'Subscribed, with the secret.',
        body: subscriptionCreatedSchema,
        headers: { Location: 'the URL of the subscription' },
      },
    },
    errors: [codes.validationFailed, codes.bodyTooLarge, codes.unsupportedMediaType, codes.storeUnavailable],
  },
  {
    method: 'GET',
    url: '/v1/subscriptions',
    operationId: 'listSubscriptions',
    summary: 'List the subscriptions',
    description: 'Those of `WEBHOOKS_FILE` first, then those made through the API, oldest first; no secrets.',
    tag: 'webhooks',
    authenticated: true,
    responses: { 200: { description: 'Every subscription.', body: subscriptionListSchema } },
    errors: [codes.storeUnavailable],
  },
  {
    method: 'GET',
    url: '/v1/subscriptions/:id',
    operationId: 'getSubscription',
    summary: 'Read a subscription',
    tag: 'webhooks',
    authenticated: true,
    params: idParamsSchema,
    responses: {
      200: { description: 'The subscription, without its secret.', body: subscriptionViewSchema },
    },
    errors: [codes.notFound, codes.storeUnavailable],
  },
  {
    method: 'DELETE',
    url: '/v1/subscriptions/:id',
    operationId: 'deleteSubscription',
    summary: 'Delete a subscription',
    description:
      'With its dead letters; deliveries still queued for it are dropped. 409 `SUBSCRIPTION_CONFIGURED` for ' +
      'one of `WEBHOOKS_FILE`: remove it there.',
    tag: 'webhooks',
    authenticated: true,
    params: idParamsSchema,
    responses: { 204: { description: 'Deleted.' } },
    errors: [codes.notFound, codes.subscriptionConfigured, codes.storeUnavailable],
  },
  {
    method: 'GET',
    url: '/v1/subscriptions/:id/dead-letters',
    operationId: 'listDeadLetters',
    summary: 'List the dead letters of a subscription',
    description:
      'Deliveries that used up their attempts (`WEBHOOK_MAX_ATTEMPTS`) or that the receiver refused for ' +
      'good, kept for `AIQUM_JOBS_RETENTION_SECONDS`; newest first, one page at a time.',
    tag: 'webhooks',
    authenticated: true,
    params: idParamsSchema,
    query: pageQuerySchema,
    responses: { 200: { description: 'One page of dead letters.', body: deadLetterPageSchema } },
    errors: [codes.validationFailed, codes.notFound, codes.storeUnavailable],
  },
  {
    method: 'POST',
    url: '/v1/subscriptions/:id/dead-letters/:deliveryId/replay',
    operationId: 'replayDeadLetter',
    summary: 'Deliver a dead letter again',
    description: 'Queues it again with a fresh set of attempts and takes it off the list.',
    tag: 'webhooks',
    authenticated: true,
    params: deadLetterParamsSchema,
    responses: { 202: { description: 'Queued for delivery.', body: replayAnswerSchema } },
    errors: [codes.notFound, codes.storeUnavailable],
  },
  {
    method: 'GET',
    url: '/healthz',
    operationId: 'health',
    summary: 'Liveness',
    tag: 'operations',
    authenticated: false,
    responses: { 200: { description: 'The process runs.', body: healthAnswerSchema } },
    errors: [],
  },
  {
    method: 'GET',
    url: '/readyz',
    operationId: 'readiness',
    summary: 'Readiness',
    tag: 'operations',
    authenticated: false,
    responses: {
      200: { description: 'Redis answers.', body: readyAnswerSchema },
      503: { description: 'Redis does not answer.', body: notReadyAnswerSchema },
    },
    errors: [],
  },
  {
    method: 'GET',
    url: '/metrics',
    operationId: 'metrics',
    summary: 'Prometheus metrics',
    description:
      'The Prometheus text exposition (see "Metrics" in the README). Open, unless `AIQUM_JOBS_METRICS_TOKEN` ' +
      'is set: then it needs `Authorization: Bearer <that token>` (API tokens do not open it).',
    tag: 'operations',
    authenticated: false,
    responses: { 200: { description: 'The metrics.', mediaType: 'text/plain' } },
    errors: [codes.unauthorized],
  },
  {
    method: 'GET',
    url: '/openapi.json',
    operationId: 'openApiDocument',
    summary: 'This document',
    tag: 'operations',
    authenticated: false,
    responses: { 200: { description: 'The OpenAPI 3.1 document of this API.' } },
    errors: [],
  },
  {
    method: 'GET',
    url: docsPagePath,
    operationId: 'docsPage',
    summary: 'This document as a web page',
    description: 'Served from this process, without any other host.',
    tag: 'operations',
    authenticated: false,
    responses: { 200: { description: 'The page.', mediaType: 'text/html' } },
    errors: [],
  },
  {
    method: 'GET',
    url: dashboardPath,
    operationId: 'dashboard',
    summary: 'The dashboard',
    description:
      'Recently active batches, a live page per batch (`/dashboard/batches/{batchId}`) and the queues ' +
      '(bull-board, `/dashboard/queues`). A browser without a session is sent to `/dashboard/login`, where ' +
      'an API token opens a session cookie that can read (GET) but not change anything.',
    tag: 'dashboard',
    authenticated: true,
    responses: { 200: { description: 'The page.', mediaType: 'text/html' } },
    errors: [],
  },
];
