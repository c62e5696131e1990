/**
 * Exponential backoff: the one formula behind every wait of aiqum-jobs that grows with each try (the
 * client's retries, polls of an AIQUM Job, submissions tried again, webhook deliveries).
 */
export interface Backoff {
  /** Wait before the first retry (attempt 0). */
  initialMs: number;
  /** Growth per attempt. */
  multiplier: number;
  /** Longest wait. */
  maxMs: number;
  /** Fraction of each wait drawn at random, downwards: 0 is exact, 1 is "full jitter" (0 to the wait). */
  jitter: number;
}

/**
 * The wait before attempt `attempt` (0 for the first retry): `initialMs × multiplier^attempt`, capped at
 * `maxMs`, less up to `jitter` of it at random. Jitter only shortens a wait, so `maxMs` is never exceeded.
 * `random` is a number in [0, 1).
 */
export function backoffDelayMs(backoff: Backoff, attempt: number, random: number): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * backoff.multiplier ** attempt);
  return Math.round(ceiling * (1 - backoff.jitter * random));
}
