import { z } from 'zod';
import { jobRefSchema } from './job-ref.js';
import { jsonValueSchema } from './json-value.js';
import { resolvedReferenceSchema } from './name-references.js';
import { type RequestOutcome, requestOutcomeSchema, requestStatusSchema } from './outcome.js';
import { requestErrorSchema } from './request-error.js';
import { requestMethodSchema } from './request-input.js';

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

export const jobResultSchema = z.object({ name: z.string(), value: z.string() });
export type JobResult = z.output<typeof jobResultSchema>;

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
});

export type StoredRequest = z.output<typeof storedRequestSchema>;

/** A batch as the store keeps it. Timestamps are epoch milliseconds. */
export interface StoredBatch {
  batchId: string;
  total: number;
  /** Requests by where they are: not yet accepted by AIQUM, tracked, finished. */
  byStatus: { pending: number; tracking: number; completed: number };
  byOutcome: Record<RequestOutcome, number>;
  done: boolean;
  createdAt: number;
  finishedAt?: number;
  metadata?: Record<string, string | number | boolean | null>;
  /** Name of the API token that submitted it. */
  submittedBy?: string;
}
