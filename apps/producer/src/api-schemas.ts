import { requestOutcomes, requestViewSchema } from '@aiqum-jobs/core';
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

export const batchViewSchema = z.object({
  batchId: z.string(),
  total: z.number().int(),
  byStatus: z.object({ pending: z.number().int(), tracking: z.number().int(), completed: z.number().int() }),
  byOutcome: z.record(z.enum(requestOutcomes), z.number().int()),
  done: z.boolean(),
  createdAt: z.number().int(),
  finishedAt: z.number().int().optional(),
  metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
});

export const batchRequestsPageSchema = z.object({
  batchId: z.string(),
  total: z.number().int(),
  offset: z.number().int(),
  limit: z.number().int(),
  requests: z.array(requestViewSchema),
  links: linksSchema,
});

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ErrorBody = z.output<typeof errorBodySchema>;

/** Query of `GET /v1/batches/:id/requests`. */
export const pageQuerySchema = z
  .object({
    offset: z.coerce.number().int().min(0).default(0),
    limit: z.coerce.number().int().min(1).max(1_000).default(100),
  })
  .strict();

/** Ids are UUIDs today; anything outside this shape cannot name a stored request or batch. */
export const idParamsSchema = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/) });

/** `/v1/subscriptions/:id/dead-letters/:deliveryId/replay`; delivery ids are `<subscriptionId>:<eventId>`. */
export const deadLetterParamsSchema = idParamsSchema.extend({
  deliveryId: z.string().regex(/^[A-Za-z0-9_:.-]{1,200}$/),
});

/** A Redis stream entry id, the cursor of `GET /v1/events` (`after`, `Last-Event-ID`). */
export const streamIdSchema = z
  .string()
  .regex(/^\d{1,20}(-\d{1,20})?$/, 'must be a stream entry id such as 1712345678901-0');
