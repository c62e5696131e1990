import type { JobRef } from '@aiqum-jobs/contracts';
import { z } from 'zod';
import { abortableSleep } from './abortable-sleep.js';
import { backoffDelayMs } from './backoff.js';
import type { SleepFunction } from './client-options.js';
import { AiqumAbortError, AiqumInvalidRequestError, AiqumJobWaitTimeoutError } from './errors.js';
import type { JobSnapshot } from './job-snapshot.js';

export const waitPolicySchema = z.strictObject({
  /**
   * Delay after the first poll that finds the job running.
   * @defaultValue 1_000
   */
  initialDelayMs: z.number().int().min(0).default(1_000),
  /**
   * Growth of the delay after each poll.
   * @defaultValue 2
   */
  multiplier: z.number().min(1).default(2),
  /**
   * Longest delay between polls. Keep it well under 300 s for ONTAP jobs, which vanish 300 s after they end.
   * @defaultValue 30_000
   */
  maxDelayMs: z.number().int().min(0).default(30_000),
  /**
   * Fraction of each delay removed at random, so many waiters do not poll in step.
   * @defaultValue 0.2
   */
  jitter: z.number().min(0).max(1).default(0.2),
  /**
   * Overall limit from the call to `waitForJob`; the job is polled one last time when it is reached.
   * @defaultValue undefined (wait until the job ends or `signal` aborts)
   */
  deadlineMs: z.number().int().min(0).optional(),
  /**
   * Ask for long polls of this many seconds (only when the client has `longPoll` configured).
   * @defaultValue undefined (standard polls)
   */
  longPollSeconds: z.number().int().min(0).optional(),
  /** Stops waiting; the wait rejects with `AiqumAbortError`. */
  signal: z.custom<AbortSignal>((value) => value instanceof AbortSignal).optional(),
  /** Called with every snapshot, including the last. */
  onProgress: z.custom<(snapshot: JobSnapshot) => void>((value) => typeof value === 'function').optional(),
});

export type WaitPolicy = z.input<typeof waitPolicySchema>;

export interface WaitDependencies {
  poll: (ref: JobRef, options: { longPollSeconds?: number; signal?: AbortSignal }) => Promise<JobSnapshot>;
  sleep: SleepFunction;
  now: () => number;
  random: () => number;
}

/**
 * Polls a job until it is terminal or gone, with exponential backoff and jitter, honouring a server's
 * `Retry-After`. An in-process convenience: the durable worker tracks jobs itself.
 */
export async function waitForJob(
  ref: JobRef,
  policyInput: WaitPolicy,
  dependencies: WaitDependencies,
): Promise<JobSnapshot> {
  const parsed = waitPolicySchema.safeParse(policyInput);
  if (!parsed.success) {
    throw new AiqumInvalidRequestError(`invalid wait policy: ${z.prettifyError(parsed.error)}`);
  }
  const policy = parsed.data;
  const { poll, sleep, now, random } = dependencies;
  const context = { method: 'GET', path: ref.href };
  const pollOptions: { longPollSeconds?: number; signal?: AbortSignal } = {};
  if (policy.longPollSeconds !== undefined) pollOptions.longPollSeconds = policy.longPollSeconds;
  if (policy.signal !== undefined) pollOptions.signal = policy.signal;
  const started = now();
  const backoff = {
    initialMs: policy.initialDelayMs,
    multiplier: policy.multiplier,
    maxMs: policy.maxDelayMs,
    jitter: policy.jitter,
  };
  for (let polls = 0; ; polls += 1) {
    if (policy.signal?.aborted) throw new AiqumAbortError({ ...context, ambiguous: false });
    const snapshot = await poll(ref, pollOptions);
    policy.onProgress?.(snapshot);
    if (snapshot.phase !== 'running') return snapshot;
    const elapsed = now() - started;
    if (policy.deadlineMs !== undefined && elapsed >= policy.deadlineMs) {
      throw new AiqumJobWaitTimeoutError(policy.deadlineMs, snapshot);
    }
    let waitMs = backoffDelayMs(backoff, polls, random());
    if (snapshot.retryAfterMs !== undefined) waitMs = Math.max(waitMs, snapshot.retryAfterMs);
    if (policy.deadlineMs !== undefined) waitMs = Math.min(waitMs, policy.deadlineMs - elapsed);
    await abortableSleep(sleep, waitMs, policy.signal, context);
  }
}
