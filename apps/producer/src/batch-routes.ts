import { batchViewSchema } from '@aiqum-jobs/contracts';
import type { z } from 'zod';
import type { ApiRoute, RouteHandler } from './api-route.js';
import {
  batchRequestsPageSchema,
  idParamsSchema,
  pageQuerySchema,
  recentBatchesQuerySchema,
  recentBatchesSchema,
} from './api-schemas.js';
import { producerErrorCodes as codes } from './producer-error.js';
import { idOf, notFound, pageLinks, parse, targetAccessOf } from './route-input.js';

const listRecentBatches: RouteHandler = async (
  request,
  _reply,
  { producer },
): Promise<z.output<typeof recentBatchesSchema>> => {
  const { limit } = parse(recentBatchesQuerySchema, request.query);
  return { batches: await producer.recentBatches(limit) };
};

const getBatch: RouteHandler = async (request, _reply, { producer }) => {
  const id = idOf(request);
  return (await producer.getBatch(id)) ?? notFound('batch', id);
};

const listBatchRequests: RouteHandler = async (request, _reply, { producer }) => {
  const id = idOf(request);
  const page = parse(pageQuerySchema, request.query);
  const result =
    (await producer.listBatchRequests(id, page, targetAccessOf(request))) ?? notFound('batch', id);
  return { ...result, links: pageLinks(`/v1/batches/${id}/requests`, page, result.total) };
};

/** The batches: the recent ones, the progress of one, its requests. */
export const batchRoutes: readonly ApiRoute[] = [
  {
    method: 'GET',
    url: '/v1/batches',
    operationId: 'listRecentBatches',
    summary: 'List the recently active batches',
    description:
      'The batches that have events among the latest 2,000 of the event stream, the most recent first: ' +
      'those running or recently ended. A batch whose requests AIQUM has not accepted yet is not among them.',
    tag: 'batches',
    access: 'read',
    query: recentBatchesQuerySchema,
    responses: { 200: { description: 'The batches.', body: recentBatchesSchema } },
    errors: [codes.validationFailed, codes.storeUnavailable],
    handler: listRecentBatches,
  },
  {
    method: 'GET',
    url: '/v1/batches/:id',
    operationId: 'getBatch',
    summary: 'Read the progress of a batch',
    tag: 'batches',
    access: 'read',
    params: idParamsSchema,
    responses: { 200: { description: 'Counts by status and by outcome.', body: batchViewSchema } },
    errors: [codes.notFound, codes.storeUnavailable],
    handler: getBatch,
  },
  {
    method: 'GET',
    url: '/v1/batches/:id/requests',
    operationId: 'listBatchRequests',
    summary: 'List the requests of a batch',
    description:
      'In batch order, one page at a time; `links.next` is there while more follow. A token limited to ' +
      'targets sees the requests of its targets only.',
    tag: 'batches',
    access: 'read',
    params: idParamsSchema,
    query: pageQuerySchema,
    responses: { 200: { description: 'One page of requests.', body: batchRequestsPageSchema } },
    errors: [codes.validationFailed, codes.notFound, codes.storeUnavailable],
    handler: listBatchRequests,
  },
];
