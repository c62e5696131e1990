import { z } from 'zod';
import { isoTimeSchema } from './iso-time.js';
import { jobRefSchema } from './job-ref.js';
import { jsonValueSchema } from './json-value.js';
import { resolvedReferenceSchema } from './name-references.js';
import { outcomeCountsSchema, requestOutcomeSchema } from './outcome.js';
import { requestAttemptSchema } from './request-attempt.js';
import { requestErrorSchema } from './request-error.js';
import { requestMethodSchema } from './request-input.js';
import { jobDialectSchema, jobResultSchema, jobStateSchema } from './request-spec.js';

const metadata = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));

/**
 * Every event has a stable `id` (the same event always has the same id, so consumers can de-duplicate)
 * and `occurredAt`. In the stream, the entry id orders events and lets a consumer resume.
 */
const eventBase = z.object({ id: z.string().min(1), occurredAt: isoTimeSchema });

const requestIdentity = {
  requestId: z.string(),
  batchId: z.string().optional(),
  target: z.string(),
  method: requestMethodSchema,
  path: z.string(),
  metadata: metadata.optional(),
  /** Name of the API token that submitted the request. */
  submittedBy: z.string().optional(),
  /** Id of the request this one retries. */
  retryOf: z.string().optional(),
};

/** AIQUM accepted the call and returned a Job to track; `occurredAt` is when it answered. */
export const requestAcceptedEventSchema = eventBase.extend({
  type: z.literal('request.accepted'),
  ...requestIdentity,
  job: jobRefSchema,
  /** The names the worker looked up, and the keys it sent in their place. */
  resolved: z.array(resolvedReferenceSchema).optional(),
  /** With a retry policy, from the second attempt on: the attempt AIQUM accepted (each has its own event). */
  attempt: z.number().int().min(2).optional(),
});

/** The request reached its terminal outcome. Exactly one per request. */
export const requestCompletedEventSchema = eventBase.extend({
  type: z.literal('request.completed'),
  ...requestIdentity,
  outcome: requestOutcomeSchema,
  job: jobRefSchema.optional(),
  dialect: jobDialectSchema.optional(),
  /** The Job's last state seen: its terminal state, or for `timed_out` the state it was in. */
  jobState: jobStateSchema.optional(),
  jobResults: z.array(jobResultSchema),
  /** The names the worker looked up, and the keys it sent in their place. */
  resolved: z.array(resolvedReferenceSchema).optional(),
  error: requestErrorSchema.optional(),
  /** Body of a synchronous answer. */
  response: jsonValueSchema.optional(),
  /** The write's answer was lost and reconciliation found its job (docs/RELIABILITY.md). */
  reconciled: z.literal(true).optional(),
  createdAt: isoTimeSchema,
  submittedAt: isoTimeSchema.optional(),
  finishedAt: isoTimeSchema,
  /** Polls of every attempt. */
  polls: z.number().int(),
  /** With a retry policy: every attempt, in order; the request ended with the last one's outcome. */
  attempts: z.array(requestAttemptSchema).optional(),
});

/** The last request of a batch reached its outcome. Exactly one per batch. */
export const batchCompletedEventSchema = eventBase.extend({
  type: z.literal('batch.completed'),
  batchId: z.string(),
  total: z.number().int(),
  counts: outcomeCountsSchema,
  createdAt: isoTimeSchema,
  finishedAt: isoTimeSchema,
  metadata: metadata.optional(),
  /** Name of the API token that submitted the batch. */
  submittedBy: z.string().optional(),
});

export const eventSchema = z.discriminatedUnion('type', [
  requestAcceptedEventSchema,
  requestCompletedEventSchema,
  batchCompletedEventSchema,
]);

export type AiqumJobsEvent = z.output<typeof eventSchema>;
export type RequestAcceptedEvent = z.output<typeof requestAcceptedEventSchema>;
export type RequestCompletedEvent = z.output<typeof requestCompletedEventSchema>;
export type BatchCompletedEvent = z.output<typeof batchCompletedEventSchema>;
export type EventType = AiqumJobsEvent['type'];
export const eventTypes: readonly EventType[] = ['request.accepted', 'request.completed', 'batch.completed'];
/** One event type, as inputs name it (query strings, CLI flags, subscriptions). */
export const eventTypeSchema = z.enum(eventTypes as [EventType, ...EventType[]]);

/** Stable event ids: derived from what the event is about, never from when it was written. */
export const eventIds = {
  /** Each attempt AIQUM accepts has its own; the first's id is the request's alone. */
  requestAccepted: (requestId: string, attempt = 1) =>
    attempt === 1 ? `${requestId}:accepted` : `${requestId}:accepted:${attempt}`,
  requestCompleted: (requestId: string) => `${requestId}:completed`,
  batchCompleted: (batchId: string) => `${batchId}:completed`,
};

/**
 * The fields of `batch.completed` known before its batch ends; the script that completes the batch's last
 * request adds the counts, times and metadata it reads from the batch.
 */
export function batchCompletedEventBase(
  batchId: string,
): Pick<BatchCompletedEvent, 'id' | 'type' | 'batchId'> {
  return { id: eventIds.batchCompleted(batchId), type: 'batch.completed', batchId };
}

/** Name of the stream entry field that holds the event JSON. */
export const eventStreamField = 'event';

/**
 * The event of one stream entry (its field/value list), or undefined when the entry holds no event that
 * parses: readers skip such an entry rather than stop on it.
 */
export function parseEventEntry(fields: readonly string[]): AiqumJobsEvent | undefined {
  const index = fields.indexOf(eventStreamField);
  const text = index >= 0 ? fields[index + 1] : undefined;
  if (text === undefined) return undefined;
  try {
    const parsed = eventSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
