import type { ApiRoute, RouteHandler } from './api-route.js';
import {
  batchResponseSchema,
  idParamsSchema,
  submitHeadersSchema,
  submitResponseSchema,
} from './api-schemas.js';
import { producerErrorCodes as codes } from './producer-error.js';
import { retryBatchInputSchema, retryRequestInputSchema } from './retry-input.js';
import { callerOf, idempotencyOf, idOf, parse, targetAccessOf } from './route-input.js';

const retryErrors = [
  codes.validationFailed,
  codes.notFound,
  codes.nothingToRetry,
  codes.retryNeedsReconciliation,
  codes.retryBreaksOrder,
  codes.unknownTarget,
  codes.idempotencyKeyReused,
  codes.idempotencyInProgress,
  codes.forbiddenTarget,
  codes.bodyTooLarge,
  codes.unsupportedMediaType,
  codes.storeUnavailable,
];

const retryRequest: RouteHandler = async (request, reply, { producer }) => {
  // A body is optional: a bare POST retries without force.
  const input = parse(retryRequestInputSchema, request.body ?? {});
  const answer = await producer.retry(idOf(request), {
    ...input,
    ...idempotencyOf(request),
    ...targetAccessOf(request),
    submittedBy: callerOf(request).name,
  });
  const links = { self: `/v1/requests/${answer.requestId}` };
  return reply
    .code(202)
    .header('location', links.self)
    .send({ ...answer, links });
};

const retryBatch: RouteHandler = async (request, reply, { producer }) => {
  const input = parse(retryBatchInputSchema, request.body ?? {});
  const answer = await producer.retryBatch(idOf(request), {
    ...input,
    ...idempotencyOf(request),
    ...targetAccessOf(request),
    submittedBy: callerOf(request).name,
  });
  const self = `/v1/batches/${answer.batchId}`;
  const links = { self, requests: `${self}/requests`, events: `/v1/events?batchId=${answer.batchId}` };
  return reply
    .code(202)
    .header('location', self)
    .send({ ...answer, links });
};

/** Retries: new requests from the specs of completed ones that did not succeed, linked both ways. */
export const retryRoutes: readonly ApiRoute[] = [
  {
    method: 'POST',
    url: '/v1/requests/:id/retry',
    operationId: 'retryRequest',
    summary: 'Retry a request that did not succeed',
    description:
      'Queues a new request from the same spec (target, method, path, body, object, poll, metadata; the ' +
      'deadline as long from now as the original had), with `retryOf` the original, which lists it in ' +
      '`retries`. 409 `REQUEST_NOT_COMPLETED` while it runs, `NOTHING_TO_RETRY` when it succeeded, ' +
      '`RETRY_NEEDS_RECONCILIATION` for a write whose outcome is `unknown` unless `force` is true.',
    tag: 'requests',
    access: 'submit',
    params: idParamsSchema,
    headers: submitHeadersSchema,
    body: { schema: retryRequestInputSchema, description: 'optional: `force`', optional: true },
    responses: {
      202: {
        description: 'The retry is queued.',
        body: submitResponseSchema,
        headers: { Location: 'the URL of the new request' },
      },
    },
    errors: [codes.requestNotCompleted, ...retryErrors],
    handler: retryRequest,
  },
  {
    method: 'POST',
    url: '/v1/batches/:id/retry',
    operationId: 'retryBatch',
    summary: 'Retry the requests of a batch that did not succeed',
    description:
      "Queues a new batch (its metadata: the original's, with `retryOf` the batch id) retrying the " +
      'completed requests that ended with `outcomes` (default `failed` and `timed_out`), each linked to ' +
      'its original. 409 `NOTHING_TO_RETRY` when none did, `RETRY_NEEDS_RECONCILIATION` when some are ' +
      'writes whose outcome is `unknown` and `force` is not true.',
    tag: 'batches',
    access: 'submit',
    params: idParamsSchema,
    headers: submitHeadersSchema,
    body: { schema: retryBatchInputSchema, description: 'optional: `outcomes`, `force`', optional: true },
    responses: {
      202: {
        description: 'The retry batch is queued, with its request ids in batch order.',
        body: batchResponseSchema,
        headers: { Location: 'the URL of the new batch' },
      },
    },
    errors: retryErrors,
    handler: retryBatch,
  },
];
