import type { z } from 'zod';
import type { ApiRoute, RouteHandler } from './api-route.js';
import { healthAnswerSchema, notReadyAnswerSchema, readyAnswerSchema } from './api-schemas.js';
import { unauthorized } from './error-answer.js';
import { dashboardPath, docsPagePath } from './page-paths.js';
import { producerErrorCodes as codes } from './producer-error.js';

const health: RouteHandler = async (): Promise<z.output<typeof healthAnswerSchema>> => ({ status: 'ok' });

const readiness: RouteHandler = async (_request, reply, { producer }) => {
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
};

const metrics: RouteHandler = async (request, reply, { registry, metricsTokens }) => {
  if (!metricsTokens.empty && !metricsTokens.accepts(request.headers.authorization)) {
    throw unauthorized(reply);
  }
  return reply.type(registry.contentType).send(await registry.metrics());
};

const openApiDocument: RouteHandler = async (_request, _reply, { document }) => document;

/** Probes, metrics, this documentation, and the pages for people. */
export const operationRoutes: readonly ApiRoute[] = [
  {
    method: 'GET',
    url: '/healthz',
    operationId: 'health',
    summary: 'Liveness',
    tag: 'operations',
    access: 'public',
    responses: { 200: { description: 'The process runs.', body: healthAnswerSchema } },
    errors: [],
    handler: health,
  },
  {
    method: 'GET',
    url: '/readyz',
    operationId: 'readiness',
    summary: 'Readiness',
    tag: 'operations',
    access: 'public',
    responses: {
      200: { description: 'Redis answers.', body: readyAnswerSchema },
      503: { description: 'Redis does not answer.', body: notReadyAnswerSchema },
    },
    errors: [],
    handler: readiness,
  },
  {
    method: 'GET',
    url: '/metrics',
    operationId: 'metrics',
    summary: 'Prometheus metrics',
    description:
      'The Prometheus text exposition (see docs/METRICS.md). Open, unless `AIQUM_JOBS_METRICS_TOKEN` ' +
      'is set: then it needs `Authorization: Bearer <that token>` (API tokens do not open it).',
    tag: 'operations',
    access: 'public',
    responses: { 200: { description: 'The metrics.', mediaType: 'text/plain' } },
    errors: [codes.unauthorized],
    handler: metrics,
  },
  {
    method: 'GET',
    url: '/openapi.json',
    operationId: 'openApiDocument',
    summary: 'This document',
    tag: 'operations',
    access: 'public',
    responses: { 200: { description: 'The OpenAPI 3.1 document of this API.' } },
    errors: [],
    handler: openApiDocument,
  },
  {
    method: 'GET',
    url: docsPagePath,
    operationId: 'docsPage',
    summary: 'This document as a web page',
    description: 'Served from this process, without any other host.',
    tag: 'operations',
    access: 'public',
    responses: { 200: { description: 'The page.', mediaType: 'text/html' } },
    errors: [],
    handler: { plugin: 'docs page' },
  },
  {
    method: 'GET',
    url: dashboardPath,
    operationId: 'dashboard',
    summary: 'The dashboard',
    description:
      'Recently active batches, a live page per batch (`/dashboard/batches/{batchId}`) and the queues ' +
      '(bull-board, `/dashboard/queues`). A browser without a session is sent to `/dashboard/login`, where ' +
      'an API token opens a session cookie that is that token (its name and scopes) for reads (GET) and ' +
      'changes nothing.',
    tag: 'dashboard',
    access: 'read',
    responses: { 200: { description: 'The page.', mediaType: 'text/html' } },
    errors: [],
    handler: { plugin: 'dashboard' },
  },
];
