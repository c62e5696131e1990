import { z } from 'zod';
import { backoffDelayMs } from './backoff.js';

/** How idempotent calls (GET, HEAD, job polls) are retried. Writes are never retried by the client. */
export const retryPolicySchema = z.object({
  /**
   * Attempts after the first. AIQUM's documentation says to retry a failing GET at least five times.
   * @defaultValue 5
   */
  maxRetries: z.number().int().min(0).max(100).default(5),
  /**
   * Backoff before retry `n` (from 0) is a random delay up to `baseDelayMs * 2^n` ("full jitter").
   * @defaultValue 500
   */
  baseDelayMs: z.number().int().min(0).default(500),
  /**
   * Upper bound of the backoff delay.
   * @defaultValue 30_000
   */
  maxDelayMs: z.number().int().min(0).default(30_000),
  /**
   * Upper bound applied to a server's `Retry-After`, so a misbehaving server cannot park a call for hours.
   * @defaultValue 60_000
   */
  maxRetryAfterMs: z.number().int().min(0).default(60_000),
});

export type RetryPolicy = z.output<typeof retryPolicySchema>;
export type RetryPolicyOptions = z.input<typeof retryPolicySchema>;

/**
 * Reads `Retry-After` (delay in seconds, or an HTTP date) as milliseconds from `now`; undefined when
 * absent or unreadable. A date in the past means "now".
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Delay before retry number `attempt` (0 for the first retry). */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs: number | undefined,
  random: () => number,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxRetryAfterMs);
  return backoffDelayMs(
    { initialMs: policy.baseDelayMs, multiplier: 2, maxMs: policy.maxDelayMs, jitter: 1 },
    attempt,
    random(),
  );
}
