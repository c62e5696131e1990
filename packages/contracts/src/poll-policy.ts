import { z } from 'zod';

/**
 * How a tracked AIQUM Job is re-polled: exponential backoff with jitter between `initialDelayMs` and
 * `maxDelayMs`. `Retry-After` answers are honoured but kept between `retryAfterMinMs` and
 * `retryAfterMaxMs`, so a server cannot make us poll in a tight loop nor park a request for hours.
 */
export const pollPolicySchema = z
  .object({
    /** Delay before the first poll after AIQUM accepted the call. @defaultValue 1000 */
    initialDelayMs: z.number().int().min(50).max(600_000).default(1_000),
    /** Each delay is the previous one times this. @defaultValue 1.5 */
    multiplier: z.number().min(1).max(10).default(1.5),
    /** The longest delay between two polls. @defaultValue 30000 */
    maxDelayMs: z.number().int().min(50).max(3_600_000).default(30_000),
    /** Fraction of each delay drawn at random (0 = none, 1 = full jitter). @defaultValue 0.2 */
    jitter: z.number().min(0).max(1).default(0.2),
    /** Shortest wait honoured from a `Retry-After` header. @defaultValue 500 */
    retryAfterMinMs: z.number().int().min(0).max(600_000).default(500),
    /** Longest wait honoured from a `Retry-After` header. @defaultValue 120000 */
    retryAfterMaxMs: z.number().int().min(0).max(3_600_000).default(120_000),
  })
  .strict()
  .refine((policy) => policy.initialDelayMs <= policy.maxDelayMs, {
    message: 'initialDelayMs must not exceed maxDelayMs',
    path: ['initialDelayMs'],
  })
  .refine((policy) => policy.retryAfterMinMs <= policy.retryAfterMaxMs, {
    message: 'retryAfterMinMs must not exceed retryAfterMaxMs',
    path: ['retryAfterMinMs'],
  });

export type PollPolicy = z.output<typeof pollPolicySchema>;
