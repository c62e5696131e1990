import { backoffDelayMs } from '@aiqum-jobs/aiqum-client';

/** A delivery attempt worth repeating; `retryAfterMs` is the receiver's `Retry-After`, if it sent one. */
export class DeliveryRetryError extends Error {
  override readonly name = 'DeliveryRetryError';
  readonly retryAfterMs: number | undefined;

  constructor(reason: string, retryAfterMs: number | undefined) {
    super(reason);
    this.retryAfterMs = retryAfterMs;
  }
}

export interface DeliveryBackoffOptions {
  /** Backoff before the first retry; it doubles with each further one. */
  backoffMs: number;
  /** Longest wait, `Retry-After` included. */
  maxDelayMs: number;
  /** @defaultValue `Math.random` */
  random?: () => number;
}

/**
 * The delay before the next attempt (BullMQ's `backoffStrategy`, given the attempts made so far): the
 * receiver's `Retry-After` when it sent one, else exponential backoff (`backoffDelayMs`) with jitter between half and all of
 * `backoffMs * 2^(attempts - 1)`; both capped at `maxDelayMs`.
 */
export function deliveryBackoff(options: DeliveryBackoffOptions) {
  const random = options.random ?? Math.random;
  return (attemptsMade: number, _type?: string, error?: Error): number => {
    if (error instanceof DeliveryRetryError && error.retryAfterMs !== undefined) {
      return Math.min(error.retryAfterMs, options.maxDelayMs);
    }
    return backoffDelayMs(
      { initialMs: options.backoffMs, multiplier: 2, maxMs: options.maxDelayMs, jitter: 0.5 },
      Math.max(0, attemptsMade - 1),
      random(),
    );
  };
}
