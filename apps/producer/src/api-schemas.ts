import {
  batchViewSchema,
  eventSchema,
  eventTypeSchema,
  eventTypes,
  requestViewSchema,
  streamIdSchema,
} from '@aiqum-jobs/contracts';
import { deadLetterSchema, subscriptionViewSchema } from '@aiqum-jobs/webhooks';
import { z } from 'zod';

/**
 * The HTTP API's bodies as zod schemas: the server builds them, the CLI's client parses them, and both
 * sides agree because they share this file.
 */

export const submitAnswerSchema = z.object({ requestId: z.string(), status: z.literal('queued') });
export type SubmitAnswer = z.output<typeof submitAnswerSchema>;

export const batchAnswerSchema = z.object({
  batchId: z.string(),
  requestIds: z.array(z.string()),
  total: z.number().int(),
});
export type BatchAnswer = z.output<typeof batchAnswerSchema>;

const linksSchema = z.record(z.string(), z.string());

export const submitResponseSchema = submitAnswerSchema.extend({ links: linksSchema });
export const batchResponseSchema = batchAnswerSchema.extend({ links: linksSchema });

/** Answer of `GET /v1/batches`. */
export const recentBatchesSchema = z.object({ batches: z.array(batchViewSchema) });

/** Query of `GET /v1/batches`. */
export const recentBatchesQuerySchema = z
  .object({ limit: z.coerce.number().int().min(1).max(100).default(20).describe('most batches listed') })
  .strict();

export const batchRequestsPageSchema = z.object({
  batchId: z.string(),
  total: z.number().int(),
  offset: z.number().int(),
  limit: z.number().int(),
  requests: z.array(requestViewSchema),
  links: linksSchema,
});

/** The answer of `POST /v1/subscriptions`: the only one that shows the secret. */
export const subscriptionCreatedSchema = subscriptionViewSchema.extend({
  secret: z.string().describe('the key of the signatures; no later answer shows it'),
  links: linksSchema,
});

export const subscriptionListSchema = z.object({ subscriptions: z.array(subscriptionViewSchema) });

export const deadLetterPageSchema = z.object({
  subscriptionId: z.string(),
  total: z.number().int(),
  offset: z.number().int(),
  limit: z.number().int(),
  deadLetters: z.array(deadLetterSchema).describe('newest first'),
  links: linksSchema,
});

export const replayAnswerSchema = z.object({ deliveryId: z.string(), status: z.literal('queued') });

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ErrorBody = z.output<typeof errorBodySchema>;

export const healthAnswerSchema = z.object({ status: z.literal('ok') });
export const readyAnswerSchema = z.object({ status: z.literal('ready') });
export const notReadyAnswerSchema = z.object({ status: z.literal('unavailable'), reason: z.string() });

/** Query of the paged lists: `GET /v1/batches/:id/requests`, `GET /v1/subscriptions/:id/dead-letters`. */
export const pageQuerySchema = z
  .object({
    offset: z.coerce.number().int().min(0).default(0).describe('index of the first entry of the page'),
    limit: z.coerce.number().int().min(1).max(1_000).default(100).describe('most entries in the page'),
  })
  .strict();

/** Ids are UUIDs today; anything outside this shape cannot name a stored request, batch or subscription. */
export const idParamsSchema = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/)
    .describe('the id its creation answered with'),
});

/** `/v1/subscriptions/:id/dead-letters/:deliveryId/replay`; delivery ids are `<subscriptionId>:<eventId>`. */
export const deadLetterParamsSchema = idParamsSchema.extend({
  deliveryId: z
    .string()
    .regex(/^[A-Za-z0-9_:.-]{1,200}$/)
    .describe("the dead letter's id, `<subscriptionId>:<eventId>`"),
});

export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1-255 visible ASCII characters')
  .describe(
    'the same key with the same body gets the first answer again and queues nothing; with another body, 409',
  );

/** Headers of the submissions, by their canonical names. */
export const submitHeadersSchema = z.object({ 'Idempotency-Key': idempotencyKeySchema.optional() });

/** Query of `GET /v1/events`. */
export const eventsQuerySchema = z
  .object({
    batchId: z.string().min(1).max(128).optional().describe('only the events of this batch'),
    types: z
      .string()
      .transform((value) => value.split(',').filter((type) => type !== ''))
      .pipe(z.array(eventTypeSchema))
      .optional()
      .describe(`comma-separated event types (${eventTypes.join(', ')}); every type when left out`),
    after: streamIdSchema
      .optional()
      .describe(
        'stream entry id to resume after; 0 replays the retained stream; only new events when left out',
      ),
    follow: z
      .enum(['true', 'false'])
      .default('true')
      .transform((value) => value === 'true')
      .describe('false: the events retained now (after `after`, else from the start), then the stream ends'),
  })
  .strict();

/** Headers of `GET /v1/events`. */
export const eventsHeadersSchema = z.object({
  'Last-Event-ID': streamIdSchema
    .optional()
    .describe('resume after this stream entry id; sent by a reconnecting EventSource, it wins over `after`'),
});

/**
 * One message of `GET /v1/events`, with its `data` line parsed: `id` is the stream entry id, `event` the
 * event's type, or `error` when the stream ends by a failure (then `data` is an error body).
 */
export const eventStreamMessageSchema = z.object({
  id: streamIdSchema.optional(),
  event: z.union([eventTypeSchema, z.literal('error')]),
  data: z.union([eventSchema, errorBodySchema]),
});
