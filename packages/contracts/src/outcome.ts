import { z } from 'zod';

/**
 * How a request ended. `unknown` means the truth cannot be known: an ambiguous submission, or an AIQUM Job
 * that vanished before its end was seen. It is never reported as success. `skipped`: a request of a batch
 * that never reached AIQUM because a request it depends on did not succeed.
 */
export const requestOutcomes = [
  'succeeded',
  'warning',
  'partial_failure',
  'failed',
  'timed_out',
  'cancelled',
  'unknown',
  'skipped',
] as const;

export const requestOutcomeSchema = z.enum(requestOutcomes);
export type RequestOutcome = z.output<typeof requestOutcomeSchema>;

/** A count for every outcome (of a batch's requests). */
export const outcomeCountsSchema = z.object(
  Object.fromEntries(requestOutcomes.map((outcome) => [outcome, z.number().int()])) as Record<
    RequestOutcome,
    z.ZodNumber
  >,
);

/**
 * Where a request is in its life: (waiting →) queued → submitting → tracking → completed. `waiting`: a
 * request of a batch whose dependencies (`dependsOn`) have not all ended; it is not in the queue yet.
 */
export const requestStatuses = ['waiting', 'queued', 'submitting', 'tracking', 'completed'] as const;
export const requestStatusSchema = z.enum(requestStatuses);
export type RequestStatus = z.output<typeof requestStatusSchema>;

/**
 * The outcome that a terminal AIQUM Job outcome maps to. A Job an administrator aborted did not do what was
 * asked: `failed`, told apart from a Job that ended in error by its error code (`AIQUM_JOB_ABORTED`).
 */
export const outcomeOfJobOutcome = {
  NORMAL: 'succeeded',
  WARNING: 'warning',
  PARTIAL_FAILURES: 'partial_failure',
  ERROR: 'failed',
  ABORTED: 'failed',
} as const satisfies Record<string, RequestOutcome>;
