import { z } from 'zod';
import { type RequestOutcome, requestOutcomes } from './outcome.js';
import { type RequestError, requestErrorCodes } from './request-error.js';

/**
 * Why an outcome cannot be retried by a policy, for those that never can. A request's deadline covers all
 * its attempts, so one that timed out has no time left for another; a success or a cancellation is final;
 * `warning` did what was asked.
 */
const neverRetried: Partial<Record<RequestOutcome, string>> = {
  succeeded: 'a request that succeeded is not retried',
  warning: 'a request that ended with a warning did what was asked and is not retried',
  timed_out:
    'the deadline covers every attempt of a request, so one that timed out has no time left to retry',
  cancelled: 'a cancelled request is never retried',
};

/** Most attempts a policy may ask for, the first included. */
export const maxRetryAttempts = 10;

/** The waits between attempts: `initialDelayMs × multiplier^(attempt − 1)`, at most `maxDelayMs`. */
const retryBackoffSchema = z
  .object({
    /** Wait before the second attempt. @defaultValue 1000 */
    initialDelayMs: z.number().int().min(100).max(3_600_000).default(1_000),
    /** Growth of the wait from one attempt to the next. @defaultValue 2 */
    multiplier: z.number().min(1).max(10).default(2),
    /** Longest wait. @defaultValue 60000 */
    maxDelayMs: z.number().int().min(100).max(3_600_000).default(60_000),
  })
  .strict()
  .refine((backoff) => backoff.maxDelayMs >= backoff.initialDelayMs, {
    message: 'backoff.maxDelayMs must be at least backoff.initialDelayMs',
    path: ['maxDelayMs'],
  });

/**
 * A request's retry policy, set when it is submitted: when an attempt ends with one of `outcomes` (for a
 * reason that may not happen again), the worker submits the request again after the backoff, up to
 * `maxAttempts` attempts in all and never past the request's deadline.
 */
export const retryPolicySchema = z
  .object({
    /**
     * The outcomes that start another attempt: `failed`, `partial_failure` (not for POST) and `unknown`
     * (only for GET). @defaultValue ['failed']
     */
    outcomes: z
      .array(z.enum(requestOutcomes))
      .min(1, 'retry.outcomes names at least one outcome')
      .superRefine((outcomes, context) => {
        for (const [index, outcome] of outcomes.entries()) {
          const why = neverRetried[outcome];
          if (why !== undefined) {
            context.addIssue({ code: 'custom', path: [index], message: `"${outcome}": ${why}` });
          }
        }
      })
      .default(['failed']),
    /** Attempts in all, the first included. @defaultValue 3 */
    maxAttempts: z.number().int().min(1).max(maxRetryAttempts).default(3),
    backoff: retryBackoffSchema.default({ initialDelayMs: 1_000, multiplier: 2, maxDelayMs: 60_000 }),
  })
  .strict();

export type RetryPolicyInput = z.input<typeof retryPolicySchema>;
export type RetryPolicy = z.output<typeof retryPolicySchema>;

/**
 * What a request's method allows a policy to retry, as issues of its `retry.outcomes`. `unknown` means a write
 * may have happened: only a read is safe to repeat without knowing. A POST that partially failed made part of
 * what it creates: repeating it would conflict with that part, or duplicate it.
 */
export function retryPolicyIssues(
  method: string,
  policy: RetryPolicy,
): Array<{ path: Array<string | number>; message: string }> {
  return policy.outcomes.flatMap((outcome, index) => {
    const path = ['retry', 'outcomes', index];
    if (outcome === 'unknown' && method !== 'GET') {
      return [
        {
          path,
          message:
            '"unknown" is retried only for GET: a write whose outcome is unknown may have happened, and repeating it could do it twice',
        },
      ];
    }
    if (outcome === 'partial_failure' && method === 'POST') {
      return [
        {
          path,
          message:
            '"partial_failure" is not retried for POST: part of what it creates exists, and repeating it would conflict with or duplicate that part',
        },
      ];
    }
    return [];
  });
}

/**
 * Errors that are the caller's (or the deployment's): the same call fails the same way however often it is
 * repeated, so no policy retries them. AIQUM refused the call as written (4xx but 408 and 429), a name matched
 * no object or several, the target is not configured, the client refused the call before sending it.
 */
const callersErrorCodes: ReadonlySet<string> = new Set([
  requestErrorCodes.nameNotFound,
  requestErrorCodes.nameAmbiguous,
  requestErrorCodes.unknownTarget,
  'AIQUM_INVALID_REQUEST',
  'AIQUM_INVALID_CONFIGURATION',
]);

function isCallersError(error: RequestError | undefined): boolean {
  if (error === undefined) return false;
  if (callersErrorCodes.has(error.code)) return true;
  const status = error.httpStatus;
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** Whether `policy` retries an attempt that ended with `outcome` and `error` (attempts and deadline aside). */
export function policyRetries(
  policy: RetryPolicy,
  ended: { outcome: RequestOutcome; error?: RequestError | undefined },
): boolean {
  return policy.outcomes.includes(ended.outcome) && !isCallersError(ended.error);
}
