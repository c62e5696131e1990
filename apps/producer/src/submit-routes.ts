import { batchInputSchema, requestInputSchema } from '@aiqum-jobs/contracts';
import type { FastifyRequest } from 'fastify';
import type { ApiRoute, RouteHandler } from './api-route.js';
import { batchResponseSchema, submitHeadersSchema, submitResponseSchema } from './api-schemas.js';
import type { SubmitOptions } from './producer.js';
import { producerErrorCodes as codes } from './producer-error.js';
import { callerOf, idempotencyOf, targetAccessOf } from './route-input.js';

const submitErrors = [
  codes.validationFailed,
  codes.unknownTarget,
  codes.idempotencyKeyReused,
  codes.idempotencyInProgress,
  codes.forbiddenTarget,
  codes.bodyTooLarge,
  codes.unsupportedMediaType,
  codes.storeUnavailable,
];

/** Who submits, and where they may: the producer keeps the name and checks the targets. */
function submitOptionsOf(request: FastifyRequest): SubmitOptions {
  return { ...idempotencyOf(request), ...targetAccessOf(request), submittedBy: callerOf(request).name };
}

const submitRequest: RouteHandler = async (request, reply, { producer }) => {
  const answer = await producer.submit(request.body, submitOptionsOf(request));
  const links = { self: `/v1/requests/${answer.requestId}` };
  return reply
    .code(202)
    .header('location', links.self)
    .send({ ...answer, links });
};

const submitBatch: RouteHandler = async (request, reply, { producer }) => {
  const answer = await producer.submitBatch(request.body, submitOptionsOf(request));
  const self = `/v1/batches/${answer.batchId}`;
  const links = { self, requests: `${self}/requests`, events: `/v1/events?batchId=${answer.batchId}` };
  return reply
    .code(202)
    .header('location', self)
    .send({ ...answer, links });
};

/** Submissions: one call, or a batch of calls stored together. */
export const submitRoutes: readonly ApiRoute[] = [
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
    access: 'submit',
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
    handler: submitRequest,
  },
  {
    method: 'POST',
    url: '/v1/batches',
    operationId: 'submitBatch',
    summary: 'Queue a batch of AIQUM API calls',
    description: 'Up to 10,000 requests, stored together and queued in one bulk call; all or none.',
    tag: 'batches',
    access: 'submit',
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
    handler: submitBatch,
  },
];
