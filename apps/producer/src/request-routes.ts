import { requestViewSchema } from '@aiqum-jobs/contracts';
import type { ApiRoute, RouteHandler } from './api-route.js';
import { idParamsSchema } from './api-schemas.js';
import { producerErrorCodes as codes } from './producer-error.js';
import { idOf, notFound, targetAccessOf } from './route-input.js';

const getRequest: RouteHandler = async (request, _reply, { producer }) => {
  const id = idOf(request);
  return (await producer.get(id, targetAccessOf(request))) ?? notFound('request', id);
};

const cancelRequest: RouteHandler = async (request, _reply, { producer }) =>
  producer.cancel(idOf(request), targetAccessOf(request));

const pollRequestNow: RouteHandler = async (request, reply, { producer }) =>
  reply.code(202).send(await producer.pollNow(idOf(request), targetAccessOf(request)));

/** One request: read it, cancel it, poll its AIQUM job now. */
export const requestRoutes: readonly ApiRoute[] = [
  {
    method: 'GET',
    url: '/v1/requests/:id',
    operationId: 'getRequest',
    summary: 'Read a request',
    description:
      'Its status, outcome, AIQUM job, last job state, results and error. Times are ISO 8601, as in the events.',
    tag: 'requests',
    access: 'read',
    params: idParamsSchema,
    responses: { 200: { description: 'The request.', body: requestViewSchema } },
    errors: [codes.notFound, codes.storeUnavailable],
    handler: getRequest,
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
    access: 'cancel',
    params: idParamsSchema,
    responses: { 200: { description: 'The request, now completed as cancelled.', body: requestViewSchema } },
    errors: [codes.notFound, codes.requestCompleted, codes.forbiddenTarget, codes.storeUnavailable],
    handler: cancelRequest,
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
    access: 'submit',
    params: idParamsSchema,
    responses: { 202: { description: 'The poll was moved to now.', body: requestViewSchema } },
    errors: [codes.notFound, codes.notPollable, codes.forbiddenTarget, codes.storeUnavailable],
    handler: pollRequestNow,
  },
];
