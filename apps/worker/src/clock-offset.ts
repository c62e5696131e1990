import type { JobOwner, TimeSpan } from '@aiqum-jobs/core';

/** Bounds of AIQUM's clock minus Redis's, in ms. */
export interface ClockOffset {
  min: number;
  max: number;
}

/**
 * Room left for the offset to drift between the jobs that measured it and the write reconciled (a few
 * minutes apart at most): 100 ms is 300 ppm over 5 minutes, far more than a clock kept by NTP drifts.
 */
const driftMarginMs = 100;

/**
 * When AIQUM says a job was submitted (`submit_time`, AIQUM's clock): the instant, or the whole second when
 * it is given in whole seconds (a server that keeps no milliseconds); undefined when it does not parse.
 */
export function submittedSpan(submitTime: string | undefined): TimeSpan | undefined {
  if (submitTime === undefined) return undefined;
  const at = Date.parse(submitTime);
  if (Number.isNaN(at)) return undefined;
  const fraction = /T\d{2}:\d{2}:\d{2}(?:\.(\d+))?/.exec(submitTime)?.[1] ?? '';
  return /^0*$/.test(fraction) ? { from: at, to: at + 999 } : { from: at, to: at };
}

/**
 * The offset, measured by the jobs whose write AIQUM answered: each was submitted while its write was sent,
 * so AIQUM's time of it, less the Redis time of the send, bounds the offset on both sides. The measure is
 * kept within the target's `clockSkewMs`; with no such job, or jobs that contradict each other (a clock set
 * back meanwhile), the offset is only known to be within `clockSkewMs`.
 */
export function clockOffsetOf(
  answered: ReadonlyArray<{ submitted: TimeSpan | undefined; owner: JobOwner | undefined }>,
  skewMs: number,
): ClockOffset {
  let min = Number.NEGATIVE_INFINITY;
  let max = Number.POSITIVE_INFINITY;
  for (const { submitted, owner } of answered) {
    if (!submitted || !owner?.sent) continue;
    min = Math.max(min, submitted.from - owner.sent.to);
    max = Math.min(max, submitted.to - owner.sent.from);
  }
  const measured = {
    min: Math.max(-skewMs, min - driftMarginMs),
    max: Math.min(skewMs, max + driftMarginMs),
  };
  return measured.min <= measured.max ? measured : { min: -skewMs, max: skewMs };
}
