import { backoffDelayMs } from '@aiqum-jobs/aiqum-client';
import type { PollPolicy } from '@aiqum-jobs/contracts';

/** ONTAP purges a finished job 300 s after it ends; polling at least every 60 s never misses one. */
export const ontapMaxPollDelayMs = 60_000;

export interface PollDelayInput {
  policy: PollPolicy;
  /** Polls made so far (0 before the first). */
  polls: number;
  /** The server's `Retry-After`, when it sent one. */
  retryAfterMs?: number | undefined;
  /** ONTAP jobs are polled well inside their purge window. */
  ontap: boolean;
  /** A number in [0, 1). */
  random: number;
}

/**
 * The wait before the next poll: exponential backoff from the policy with downward jitter (so the policy's
 * maximum is never exceeded), or the server's `Retry-After` kept between the policy's floor and ceiling.
 */
export function pollDelayMs(input: PollDelayInput): number {
  const { policy } = input;
  const maxDelay = input.ontap ? Math.min(policy.maxDelayMs, ontapMaxPollDelayMs) : policy.maxDelayMs;
  if (input.retryAfterMs !== undefined) {
    const floored = Math.max(input.retryAfterMs, policy.retryAfterMinMs);
    return Math.min(
      floored,
      policy.retryAfterMaxMs,
      input.ontap ? ontapMaxPollDelayMs : Number.POSITIVE_INFINITY,
    );
  }
  const backoff = {
    initialMs: policy.initialDelayMs,
    multiplier: policy.multiplier,
    maxMs: maxDelay,
    jitter: policy.jitter,
  };
  return Math.max(1, backoffDelayMs(backoff, input.polls, input.random));
}
