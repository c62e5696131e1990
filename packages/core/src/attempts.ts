import type { RequestAttempt, RetryPolicy } from '@aiqum-jobs/contracts';
import { type CallSlot, slotKeys } from './call-slot.js';
import type { Completion, TrackedFacts } from './request-completion.js';
import type { RequestIdentity } from './request-identity.js';
import { attemptQueuedScript, nextAttemptScript } from './request-scripts.js';
import type { RequestStoreContext } from './request-store-context.js';

/** A request with a retry policy, at one of its attempts (absent: the first). */
export type AttemptOfRequest = RequestIdentity & {
  deadlineAt: number;
  retry: RetryPolicy;
  attempt?: number | undefined;
};

/** What an attempt that ends says of itself; the scripts add its number and times. */
export function endedAttempt(
  facts: TrackedFacts,
  completion: Completion,
): Omit<RequestAttempt, 'number' | 'startedAt' | 'finishedAt'> {
  return {
    outcome: completion.outcome,
    ...(completion.error ? { error: completion.error } : {}),
    ...(facts.job ? { job: facts.job } : {}),
    jobResults: completion.jobResults ?? [],
  };
}

/**
 * How the attempt of a request ended: `waiting` (for the next attempt), `last` (the policy allows no other
 * before the deadline: complete the request), `stale` (the request is at another attempt), or the request
 * completed or missing.
 */
export type NextAttemptResult = 'waiting' | 'last' | 'stale' | 'completed' | 'missing';

/** The attempts of requests with a retry policy: from one that ended to the queue job of the next. */
export class Attempts {
  readonly #context: RequestStoreContext;

  constructor(context: RequestStoreContext) {
    this.#context = context;
  }

  /**
   * An attempt ended with an outcome the request's policy retries: unless it was the last one the policy and
   * the deadline allow, records it and makes the request wait `delayMs` (Redis's clock) for its next attempt
   * in its target's due set, in one step. Releases the call slot (and counts the poll that saw the end).
   */
  async next(
    request: AttemptOfRequest,
    facts: TrackedFacts,
    completion: Completion,
    delayMs: number,
    options: { slot?: CallSlot | undefined; countPoll?: boolean | undefined } = {},
  ): Promise<NextAttemptResult> {
    const { keys } = this.#context;
    return this.#context.scripts.run(nextAttemptScript, {
      keys: {
        request: keys.request(request.requestId),
        due: keys.targetDue(request.target),
        ...slotKeys(keys, options.slot),
        ...(request.batchId ? { batch: keys.batch(request.batchId) } : {}),
      },
      args: {
        attemptNumber: request.attempt ?? 1,
        attempt: JSON.stringify(endedAttempt(facts, completion)),
        createdAt: request.createdAt,
        maxAttempts: request.retry.maxAttempts,
        delayMs: Math.round(delayMs),
        deadlineAt: request.deadlineAt,
        leaseId: options.slot?.leaseId ?? '',
        countPoll: options.countPoll ? '1' : '0',
        requestId: request.requestId,
        dueChannel: keys.dueChanges,
        target: request.target,
        hasBatch: request.batchId ? '1' : '0',
      },
    });
  }

  /**
   * The queue job of attempt `attempt` was added: the request leaves its target's due set unless it moved on
   * meanwhile, and the claim's slot is released. Returns the request's status, or `missing`.
   */
  async queued(requestId: string, attempt: number, slot: CallSlot): Promise<string> {
    const { keys } = this.#context;
    return this.#context.scripts.run(attemptQueuedScript, {
      keys: {
        request: keys.request(requestId),
        inFlight: keys.targetInFlight(slot.target),
        due: keys.targetDue(slot.target),
      },
      args: { attemptNumber: attempt, leaseId: slot.leaseId, requestId },
    });
  }
}
