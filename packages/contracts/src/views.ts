import { z } from 'zod';
import { isoTime, isoTimeSchema } from './iso-time.js';
import { outcomeCountsSchema } from './outcome.js';
import { type StoredBatch, type StoredRequest, storedRequestSchema } from './request-spec.js';

/**
 * A request as producers and their callers see it: the stored request with its times in ISO 8601, like
 * the events' (the same instant gives the same string in both).
 */
export const requestViewSchema = storedRequestSchema.extend({
  createdAt: isoTimeSchema,
  deadlineAt: isoTimeSchema.describe('after this the request ends as `timed_out`'),
  submittedAt: isoTimeSchema.optional().describe('when AIQUM accepted the call'),
  finishedAt: isoTimeSchema.optional(),
  retries: z.array(z.string()).optional().describe('ids of the requests that retry this one, newest last'),
  attemptStartsAt: isoTimeSchema
    .optional()
    .describe('with a retry policy, from the second attempt on: when the current attempt began or begins'),
});

export type RequestView = z.output<typeof requestViewSchema>;

/** A batch as producers and their callers see it, times in ISO 8601. */
export const batchViewSchema = z.object({
  batchId: z.string(),
  total: z.number().int(),
  byStatus: z.object({
    waiting: z.number().int().describe('requests whose dependencies have not all ended: not queued yet'),
    pending: z.number().int().describe('requests queued or being submitted'),
    tracking: z.number().int(),
    completed: z.number().int(),
  }),
  byOutcome: outcomeCountsSchema,
  done: z.boolean(),
  createdAt: isoTimeSchema,
  finishedAt: isoTimeSchema.optional(),
  metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  /** Name of the API token that submitted it. */
  submittedBy: z.string().optional(),
});

export type BatchView = z.output<typeof batchViewSchema>;

/** `retries`: the ids of the requests that retry this one, kept apart from its record; none: left out. */
export function requestView(stored: StoredRequest, retries: readonly string[] = []): RequestView {
  const { createdAt, deadlineAt, submittedAt, finishedAt, attemptStartsAt, ...rest } = stored;
  const view: RequestView = { ...rest, createdAt: isoTime(createdAt), deadlineAt: isoTime(deadlineAt) };
  if (submittedAt !== undefined) view.submittedAt = isoTime(submittedAt);
  if (attemptStartsAt !== undefined) view.attemptStartsAt = isoTime(attemptStartsAt);
  if (finishedAt !== undefined) view.finishedAt = isoTime(finishedAt);
  if (retries.length > 0) view.retries = [...retries];
  return view;
}

export function batchView(stored: StoredBatch): BatchView {
  const { createdAt, finishedAt, ...rest } = stored;
  const view: BatchView = { ...rest, createdAt: isoTime(createdAt) };
  if (finishedAt !== undefined) view.finishedAt = isoTime(finishedAt);
  return view;
}
