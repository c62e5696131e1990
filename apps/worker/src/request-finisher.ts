import { backoffDelayMs } from '@aiqum-jobs/aiqum-client';
import { type Logger, policyRetries, type ResolvedReference } from '@aiqum-jobs/contracts';
import type {
  CallSlot,
  Completion,
  DependantRelease,
  RequestState,
  RequestStore,
  SubmissionPayload,
  TrackedFacts,
} from '@aiqum-jobs/core';
import type { WorkerMetrics } from './worker-metrics.js';

/** What a submission or a poll knows of the request's state: `submissions.begin` reads it, without the status. */
export type KnownState = Omit<RequestState, 'status'> & { resolved?: ResolvedReference[] };

/** How an ending is recorded: under a call slot (and, for a poll that saw the end, counting that poll). */
export type EndingRecording = CallSlot | { slot: CallSlot; countPoll: boolean } | undefined;

/**
 * Fraction of each wait between attempts drawn at random, downwards: requests that failed together (an
 * AIQUM outage) do not all come back at the same instant.
 */
const attemptBackoffJitter = 0.2;

export function factsOf(state: KnownState): TrackedFacts {
  return { job: state.job, dialect: state.dialect, submittedAt: state.submittedAt, resolved: state.resolved };
}

/**
 * Ends requests (or, under a retry policy, their attempts) for the submission and poll handlers: through
 * `RequestStore.completion`, which happens once per request however many workers race, counted and logged
 * the same way whichever handler ends it. Then the dependants the completion released are queued or
 * skipped (left to the sweep if this process dies).
 */
export class RequestFinisher {
  readonly #store: RequestStore;
  readonly #release: DependantRelease;
  readonly #logger: Logger;
  readonly #metrics: WorkerMetrics;
  readonly #random: () => number;

  constructor(
    store: RequestStore,
    release: DependantRelease,
    logger: Logger,
    metrics: WorkerMetrics,
    random: () => number = Math.random,
  ) {
    this.#store = store;
    this.#release = release;
    this.#logger = logger;
    this.#metrics = metrics;
    this.#random = random;
  }

  /** `request`: the spec and the attempt that ends (the queue job's payload, or a polled record's). */
  async complete(
    request: SubmissionPayload,
    facts: TrackedFacts,
    completion: Completion,
    recording: EndingRecording = undefined,
  ): Promise<void> {
    const options = recording === undefined ? {} : 'leaseId' in recording ? { slot: recording } : recording;
    if (await this.#retried(request, facts, completion, options)) return;
    const { result, released } = await this.#store.completion.completeReleasing(
      request,
      facts,
      completion,
      options,
    );
    if (result === 'completed') {
      this.#metrics.requestsCompleted.inc({ outcome: completion.outcome, target: request.target });
    }
    const log = {
      requestId: request.requestId,
      batchId: request.batchId,
      outcome: completion.outcome,
      result,
      ...(request.retry ? { attempt: request.attempt ?? 1 } : {}),
    };
    if (completion.error) this.#logger.info({ ...log, error: completion.error }, 'request completed');
    else this.#logger.info(log, 'request completed');
    await this.#release.release(released);
  }

  /**
   * Whether the attempt's end was handled as an attempt: the request waits for its next one (or it was at
   * another attempt already). False when the request is to complete: no policy, an outcome or error the
   * policy does not retry, or the last attempt the policy and the deadline allow.
   */
  async #retried(
    request: SubmissionPayload,
    facts: TrackedFacts,
    completion: Completion,
    options: { slot?: CallSlot; countPoll?: boolean },
  ): Promise<boolean> {
    const { retry } = request;
    if (retry === undefined || !policyRetries(retry, completion)) return false;
    const attempt = request.attempt ?? 1;
    const { initialDelayMs, multiplier, maxDelayMs } = retry.backoff;
    const delayMs = backoffDelayMs(
      { initialMs: initialDelayMs, multiplier, maxMs: maxDelayMs, jitter: attemptBackoffJitter },
      attempt - 1,
      this.#random(),
    );
    const result = await this.#store.attempts.next(
      { ...request, retry },
      facts,
      completion,
      delayMs,
      options,
    );
    if (result === 'last') return false;
    const log = { requestId: request.requestId, attempt, outcome: completion.outcome, result };
    if (result === 'waiting') {
      this.#metrics.attemptsRetried.inc({ outcome: completion.outcome, target: request.target });
      this.#logger.info(
        { ...log, error: completion.error, delayMs },
        'attempt ended; retrying after the backoff',
      );
    } else {
      this.#logger.info(log, 'attempt ended, but the request is no longer at it');
    }
    return true;
  }
}
