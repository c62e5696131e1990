import { subscriptionInputSchema, subscriptionViewSchema, viewOfSubscription } from '@aiqum-jobs/webhooks';
import type { z } from 'zod';
import type { ApiRoute, RouteHandler } from './api-route.js';
import {
  deadLetterPageSchema,
  deadLetterParamsSchema,
  idParamsSchema,
  pageQuerySchema,
  replayAnswerSchema,
  subscriptionCreatedSchema,
  subscriptionListSchema,
} from './api-schemas.js';
import { producerErrorCodes as codes, ProducerError } from './producer-error.js';
import { idOf, notFound, pageLinks, parse } from './route-input.js';

const createSubscription: RouteHandler = async (request, reply, { webhooks }) => {
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
};

const listSubscriptions: RouteHandler = async (
  _request,
  _reply,
  { webhooks },
): Promise<z.output<typeof subscriptionListSchema>> => ({
  subscriptions: (await webhooks.list()).map(viewOfSubscription),
});

const getSubscription: RouteHandler = async (request, _reply, { webhooks }) => {
  const id = idOf(request);
  const subscription = (await webhooks.get(id)) ?? notFound('subscription', id);
  return viewOfSubscription(subscription);
};

const deleteSubscription: RouteHandler = async (request, reply, { webhooks }) => {
  const id = idOf(request);
  const result = await webhooks.delete(id);
  if (result === 'not-found') notFound('subscription', id);
  if (result === 'configured') {
    throw new ProducerError(
      codes.subscriptionConfigured,
      `subscription ${id} comes from WEBHOOKS_FILE: remove it there`,
    );
  }
  return reply.code(204).send();
};

const listDeadLetters: RouteHandler = async (
  request,
  _reply,
  { webhooks },
): Promise<z.output<typeof deadLetterPageSchema>> => {
  const id = idOf(request);
  const page = parse(pageQuerySchema, request.query);
  if (!(await webhooks.get(id))) notFound('subscription', id);
  const result = await webhooks.deadLetters(id, page);
  const links = pageLinks(`/v1/subscriptions/${id}/dead-letters`, page, result.total);
  return { subscriptionId: id, ...page, ...result, links };
};

const replayDeadLetter: RouteHandler = async (request, reply, { webhooks }) => {
  const parsed = deadLetterParamsSchema.safeParse(request.params);
  if (!parsed.success) throw new ProducerError(codes.notFound, 'no such dead letter');
  const { id, deliveryId } = parsed.data;
  if (!(await webhooks.get(id))) notFound('subscription', id);
  if (!(await webhooks.replay(id, deliveryId))) notFound('dead letter', deliveryId);
  const queued: z.output<typeof replayAnswerSchema> = { deliveryId, status: 'queued' };
  return reply.code(202).send(queued);
};

/** Webhook subscriptions and their dead letters. */
export const webhookRoutes: readonly ApiRoute[] = [
  {
    method: 'POST',
    url: '/v1/subscriptions',
    operationId: 'createSubscription',
    summary: 'Subscribe a URL to events',
    description:
      'Each matching event is POSTed to `url`, signed with the secret (see docs/WEBHOOKS.md). The URL must pass ' +
      'the allowlist (no loopback, private, link-local or reserved address unless allowed by ' +
      '`WEBHOOK_ALLOW_PRIVATE` or `WEBHOOK_ALLOWED_NETWORKS`); a refused one is a 400 that says why. The ' +
      'secret is generated when left out, and shown in this answer only.',
    tag: 'webhooks',
    access: 'subscriptions',
    body: { schema: subscriptionInputSchema, description: 'where to deliver, and which events' },
    responses: {
      201: {
        description: 'Subscribed, with the secret.',
        body: subscriptionCreatedSchema,
        headers: { Location: 'the URL of the subscription' },
      },
    },
    errors: [codes.validationFailed, codes.bodyTooLarge, codes.unsupportedMediaType, codes.storeUnavailable],
    handler: createSubscription,
  },
  {
    method: 'GET',
    url: '/v1/subscriptions',
    operationId: 'listSubscriptions',
    summary: 'List the subscriptions',
    description: 'Those of `WEBHOOKS_FILE` first, then those made through the API, oldest first; no secrets.',
    tag: 'webhooks',
    access: 'subscriptions',
    responses: { 200: { description: 'Every subscription.', body: subscriptionListSchema } },
    errors: [codes.storeUnavailable],
    handler: listSubscriptions,
  },
  {
    method: 'GET',
    url: '/v1/subscriptions/:id',
    operationId: 'getSubscription',
    summary: 'Read a subscription',
    tag: 'webhooks',
    access: 'subscriptions',
    params: idParamsSchema,
    responses: {
      200: { description: 'The subscription, without its secret.', body: subscriptionViewSchema },
    },
    errors: [codes.notFound, codes.storeUnavailable],
    handler: getSubscription,
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
    access: 'subscriptions',
    params: idParamsSchema,
    responses: { 204: { description: 'Deleted.' } },
    errors: [codes.notFound, codes.subscriptionConfigured, codes.storeUnavailable],
    handler: deleteSubscription,
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
    access: 'admin',
    params: idParamsSchema,
    query: pageQuerySchema,
    responses: { 200: { description: 'One page of dead letters.', body: deadLetterPageSchema } },
    errors: [codes.validationFailed, codes.notFound, codes.storeUnavailable],
    handler: listDeadLetters,
  },
  {
    method: 'POST',
    url: '/v1/subscriptions/:id/dead-letters/:deliveryId/replay',
    operationId: 'replayDeadLetter',
    summary: 'Deliver a dead letter again',
    description: 'Queues it again with a fresh set of attempts and takes it off the list.',
    tag: 'webhooks',
    access: 'admin',
    params: deadLetterParamsSchema,
    responses: { 202: { description: 'Queued for delivery.', body: replayAnswerSchema } },
    errors: [codes.notFound, codes.storeUnavailable],
    handler: replayDeadLetter,
  },
];
