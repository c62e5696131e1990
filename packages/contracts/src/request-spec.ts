import { z } from 'zod';
import { jobRefSchema } from './job-ref.js';
import { jobResultSchema } from './job-result.js';
import { jsonValueSchema } from './json-value.js';
import { resolvedReferenceSchema } from './name-references.js';
import { type RequestOutcome, requestOutcomeSchema, requestStatusSchema } from './outcome.js';
import { requestAttemptSchema } from './request-attempt.js';
import { requestErrorSchema } from './request-error.js';
import { requestMethodSchema } from './request-input.js';
import { retryPolicySchema } from './retry-policy.js';

const metadataValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/**
 * What a request asks for, fixed when it is accepted. It travels as the queue payload (so a worker has it
 * without another read) and is kept in the request record.
 */
export const requestSpecSchema = z.object({
  requestId: z.string().min(1),
  batchId: z.string().min(1).optional(),
  target: z.string().min(1),
  method: requestMethodSchema,
  path: z.string().min(1),
  body: jsonValueSchema.optional(),
  /** The object a path ending in `/{key}` names, by name (looked up by the worker). */
  object: jsonValueSchema.optional(),
  /** Epoch milliseconds. */
  createdAt: z.number().int(),
  /** Epoch milliseconds after which the request ends as `timed_out`. */
  deadlineAt: z.number().int(),
  poll: z
    .object({
      initialDelayMs: z.number().optional(),
      multiplier: z.number().optional(),
      maxDelayMs: z.number().optional(),
      jitter: z.number().optional(),
    })
    .optional(),
  retryAmbiguous: z.boolean(),
  metadata: z.record(z.string(), metadataValue).optional(),
  /** Name of the API token that submitted it (`local` without tokens), for audits; absent from older records. */
  submittedBy: z.string().min(1).optional(),
  /** Id of the request this one retries (made by a retry from the same spec). */
  retryOf: z.string().min(1).optional(),
  /** The request's name within its batch. */
  ref: z.string().min(1).optional(),
  /** The requests of the batch that must succeed before this one starts, by ref and id. */
  dependsOn: z.array(z.object({ ref: z.string().min(1), requestId: z.string().min(1) })).optional(),
  /** A dependency that ended `warning` counts as succeeded. */
  proceedOnWarning: z.boolean().optional(),
  /** When and how often the worker submits the request again after an attempt that failed. */
  retry: retryPolicySchema.optional(),
});

export type RequestSpec = z.output<typeof requestSpecSchema>;

/** Which vocabulary an AIQUM Job spoke (see the client's job snapshot). */
export const jobDialectSchema = z.enum(['spec', 'docs', 'ontap']);

/** The last thing an AIQUM Job said about itself. */
export const jobStateSchema = z.object({
  phase: z.enum(['running', 'terminal', 'gone']),
  state: z.string().optional(),
  status: z.string().optional(),
  outcome: z.enum(['NORMAL', 'WARNING', 'PARTIAL_FAILURES', 'ERROR', 'ABORTED']).optional(),
  message: z.string().optional(),
  code: z.union([z.string(), z.number()]).optional(),
});

export type JobState = z.output<typeof jobStateSchema>;

export { type JobResult, jobResultSchema } from './job-result.js';

/** A request as the store keeps it. Timestamps are epoch milliseconds, as the worker computes with them. */
export const storedRequestSchema = requestSpecSchema.omit({ body: true }).extend({
  status: requestStatusSchema,
  outcome: requestOutcomeSchema.optional(),
  job: jobRefSchema.optional(),
  dialect: jobDialectSchema.optional(),
  jobState: jobStateSchema.optional(),
  jobResults: z.array(jobResultSchema),
  error: requestErrorSchema.optional(),
  /** The names the worker looked up, and the keys it sent in their place. */
  resolved: z.array(resolvedReferenceSchema).optional(),
  /** Body of a synchronous answer (200/201/204). */
  response: jsonValueSchema.optional(),
  submittedAt: z.number().int().optional(),
  finishedAt: z.number().int().optional(),
  /** The write's answer was lost and reconciliation found its job (docs/RELIABILITY.md). */
  reconciled: z.literal(true).optional(),
  polls: z.number().int(),
  submitAttempts: z.number().int(),
  /** With a retry policy, from the second attempt on: the number of the attempt under way or waiting. */
  attempt: z.number().int().optional(),
  /** With a retry policy, from the second attempt on: when the attempt under way began or the waiting one begins. */
  attemptStartsAt: z.number().int().optional(),
  /** With a retry policy: the attempts that ended, in order (the last one once the request completed). */
  attempts: z.array(requestAttemptSchema).optional(),
});

export type StoredRequest = z.output<typeof storedRequestSchema>;

/** A batch as the store keeps it. Timestamps are epoch milliseconds. */
export interface StoredBatch {
  batchId: string;
  total: number;
  /**
   * Requests by where they are: waiting for their dependencies, not yet accepted by AIQUM (queued or being
   * submitted), tracked, finished.
   */
  byStatus: { waiting: number; pending: number; tracking: number; completed: number };
  byOutcome: Record<RequestOutcome, number>;
  done: boolean;
  createdAt: number;
  finishedAt?: number;
  metadata?: Record<string, string | number | boolean | null>;
  /** Name of the API token that submitted it. */
  submittedBy?: string;
}
