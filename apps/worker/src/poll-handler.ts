import { AiqumAbortError, AiqumApiError, AiqumError, type JobSnapshot } from '@aiqum-jobs/aiqum-client';
import { type JobState, type Logger, outcomeOfJobOutcome, requestEndings } from '@aiqum-jobs/contracts';
import type {
  CallSlot,
  ClaimedPoll,
  Completion,
  RequestStore,
  SubmissionPayload,
  TrackedFacts,
} from '@aiqum-jobs/core';
import { describeError, retryAfterOf } from './aiqum-error-facts.js';
import type { NextAttempts } from './next-attempts.js';
import { pollDelayMs } from './poll-delay.js';
import { factsOf, type KnownState, type RequestFinisher } from './request-finisher.js';
import type { Target } from './target-clients.js';
import { pollPolicyOf } from './target-poll-policy.js';
import type { WorkerMetrics } from './worker-metrics.js';

/** Polls that fail in a row (transport errors, unreadable answers) before the outcome is `unknown`. */
export const maxConsecutivePollErrors = 10;
/**
 * Polls that fail inside the worker in a row (our code or a Redis script threw, not an AIQUM answer) before
 * the outcome is `unknown` with `INTERNAL_ERROR`: a request our code cannot handle is not retried forever.
 */
export const maxConsecutivePollFailures = 5;

export interface PollHandlerOptions {
  store: RequestStore;
  finisher: RequestFinisher;
  /** Queues the attempts whose backoff is over (the due set holds them as it holds polls). */
  nextAttempts: NextAttempts;
  targets: ReadonlyMap<string, Target>;
  logger: Logger;
  metrics: WorkerMetrics;
  /** Aborted at shutdown: polls stop at once (their requests are due again at once, for another worker). */
  shutdownSignal: AbortSignal;
  /** @defaultValue `Math.random` */
  random?: () => number;
}

/**
 * Polls a tracked request's AIQUM Job once, each time a poller claimed it, and records what it saw: the next
 * poll, or the request's end. Between polls the request waits in Redis, never in this process.
 */
/** How long a tracked request whose record cannot be read waits before it is claimed again. */
const unreadableRecordRetryMs = 60_000;

export class PollHandler {
  readonly #store: RequestStore;
  readonly #finisher: RequestFinisher;
  readonly #nextAttempts: NextAttempts;
  readonly #targets: ReadonlyMap<string, Target>;
  readonly #logger: Logger;
  readonly #metrics: WorkerMetrics;
  readonly #shutdownSignal: AbortSignal;
  readonly #random: () => number;

  constructor(options: PollHandlerOptions) {
    this.#store = options.store;
    this.#finisher = options.finisher;
    this.#nextAttempts = options.nextAttempts;
    this.#targets = options.targets;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.#shutdownSignal = options.shutdownSignal;
    this.#random = options.random ?? Math.random;
  }

  /** Polls one claimed request and records what it saw: the next poll, or the request's end. */
  async poll(claim: ClaimedPoll): Promise<void> {
    if (claim.nextAttempt !== undefined) {
      await this.#nextAttempts.start(claim, claim.nextAttempt);
      return;
    }
    const record = claim.record;
    if (record === undefined || record.status !== 'tracking') {
      // Gone or no longer tracked: the script takes it out of the due set. Tracked but unreadable (a record
      // this version cannot decode): nothing to poll with, so it waits, loudly, instead of being claimed again
      // at once, forever.
      if (record === undefined) {
        this.#logger.error(
          { requestId: claim.requestId, target: claim.slot.target, retryInMs: unreadableRecordRetryMs },
          'cannot read a tracked request; trying again later',
        );
      }
      await this.#store.schedule.recordPollError(claim.requestId, claim.slot, {
        delayMs: unreadableRecordRetryMs,
        deadlineAt: Number.MAX_SAFE_INTEGER,
      });
      return;
    }
    // The attempt being polled, for a request with a retry policy past its first.
    const spec: SubmissionPayload =
      record.attempt === undefined ? record.spec : { ...record.spec, attempt: record.attempt };
    const target = this.#targets.get(spec.target);
    if (!target) throw new Error(`no target ${spec.target} for a claimed poll`);
    const state: KnownState = { job: record.job };
    if (record.resolved) state.resolved = record.resolved;
    if (record.dialect) state.dialect = record.dialect;
    if (record.jobState) state.jobState = record.jobState;
    if (record.submittedAt !== undefined) state.submittedAt = record.submittedAt;
    try {
      await this.#pollJob(
        spec,
        state,
        { polls: record.polls, pollErrors: record.pollErrors },
        target,
        claim.slot,
      );
    } catch (error) {
      await this.#pollFailedInside(spec, state, record.polls, target, claim.slot, error);
    }
  }

  /**
   * A poll that threw inside the worker: tried again later like a poll, or, after
   * `maxConsecutivePollFailures` in a row (counted in Redis, across restarts and workers), the request ends.
   */
  async #pollFailedInside(
    spec: SubmissionPayload,
    state: KnownState,
    polls: number,
    target: Target,
    slot: CallSlot,
    error: unknown,
  ): Promise<void> {
    const reason = error instanceof Error ? error.message : String(error);
    const delay = pollDelayMs({
      policy: pollPolicyOf(target, spec),
      polls: polls + 1,
      ontap: state.job?.kind === 'ontap',
      random: this.#random(),
    });
    const { status, pollFailures } = await this.#store.schedule.recordPollFailure(spec.requestId, slot, {
      delayMs: delay,
      deadlineAt: spec.deadlineAt,
    });
    if (status !== 'tracking') return;
    if (pollFailures < maxConsecutivePollFailures) {
      this.#logger.warn(
        { requestId: spec.requestId, err: reason, pollFailures },
        'poll failed inside the worker; polling again',
      );
      return;
    }
    this.#logger.error(
      { requestId: spec.requestId, err: reason, pollFailures },
      'poll failed inside the worker too often; giving up on the request',
    );
    await this.#finisher.complete(spec, factsOf(state), {
      ...requestEndings.pollsFailedInside(pollFailures, reason),
      ...(state.jobState ? { jobState: state.jobState } : {}),
    });
  }

  async #pollJob(
    spec: SubmissionPayload,
    state: KnownState,
    counts: { polls: number; pollErrors: number },
    target: Target,
    slot: CallSlot,
  ): Promise<void> {
    const job = state.job;
    if (!job) {
      await this.#finisher.complete(spec, factsOf(state), requestEndings.trackedWithoutJob(), slot);
      return;
    }
    // The poll's start, on this process's monotonic clock: only durations are measured on it.
    const startedAt = performance.now();
    const remainingSeconds = Math.max(
      1,
      Math.floor((spec.deadlineAt - (await this.#store.clock.now())) / 1000),
    );
    const longPollSeconds =
      target.config.longPoll && job.kind === 'aiqum'
        ? Math.min(target.config.longPoll.maxWaitSeconds, remainingSeconds)
        : undefined;

    let snapshot: JobSnapshot;
    const callEnded = this.#metrics.pollDuration.startTimer({ target: target.config.name });
    try {
      snapshot = await target.client.getJob(job, {
        ...(longPollSeconds === undefined ? {} : { longPollSeconds }),
        headers: { 'X-Correlation-Id': spec.requestId },
        signal: this.#shutdownSignal,
      });
    } catch (error) {
      callEnded();
      await this.#pollFailed(spec, state, counts.pollErrors + 1, target, error, slot);
      return;
    }
    callEnded();

    const jobState = jobStateOf(snapshot);
    const dialect = snapshot.phase === 'gone' ? state.dialect : snapshot.dialect;
    const facts: TrackedFacts = { job, dialect, submittedAt: state.submittedAt, resolved: state.resolved };
    // A poll that sees the end is recorded by the terminal transition itself, one command.
    const ended = { slot, countPoll: true };

    if (snapshot.phase === 'terminal') {
      await this.#finisher.complete(spec, facts, terminalCompletionOf(snapshot, jobState), ended);
      return;
    }
    if (snapshot.phase === 'gone') {
      await this.#finisher.complete(spec, facts, { ...requestEndings.jobGone(job.href), jobState }, ended);
      return;
    }
    const tookMs = performance.now() - startedAt;
    if (await this.#store.clock.reached(spec.deadlineAt)) {
      await this.#finisher.complete(
        spec,
        facts,
        { ...requestEndings.deadlineWhileRunning(snapshot.state), jobState },
        ended,
      );
      return;
    }
    // A long poll that really waited can be repeated at once; one answered early (the server ignored the
    // parameter) falls back to the interval policy, so a server without long polling is never hammered.
    const longPollWaited = longPollSeconds !== undefined && tookMs >= longPollSeconds * 500;
    const delay =
      longPollWaited && snapshot.retryAfterMs === undefined
        ? 0
        : pollDelayMs({
            policy: pollPolicyOf(target, spec),
            polls: counts.polls + 1,
            retryAfterMs: snapshot.retryAfterMs,
            ontap: job.kind === 'ontap',
            random: this.#random(),
          });
    // The interval runs from the start of this poll, so a cycle's own work does not stretch the interval.
    await this.#store.schedule.recordPoll(spec.requestId, jobState, dialect, slot, {
      delayMs: Math.max(0, delay - tookMs),
      deadlineAt: spec.deadlineAt,
    });
  }

  /** A poll that failed: tried again later (backing off), or, past the limits, the request ends. */
  async #pollFailed(
    spec: SubmissionPayload,
    state: KnownState,
    pollErrors: number,
    target: Target,
    error: unknown,
    slot: CallSlot,
  ): Promise<void> {
    if (!(error instanceof AiqumError)) throw error;
    if (error instanceof AiqumAbortError && this.#shutdownSignal.aborted) {
      // Shutting down: hand the poll to another worker now.
      await this.#store.schedule.releaseClaims([{ requestId: spec.requestId, slot }]);
      return;
    }
    const described = describeError(error);
    const permanent = error instanceof AiqumApiError && !error.retryable;
    const deadlineReached = await this.#store.clock.reached(spec.deadlineAt);
    if (permanent || pollErrors >= maxConsecutivePollErrors || deadlineReached) {
      const pastDeadline = deadlineReached && !permanent;
      await this.#finisher.complete(
        spec,
        factsOf(state),
        {
          ...requestEndings.jobUnreadable(described, pollErrors, pastDeadline),
          ...(state.jobState ? { jobState: state.jobState } : {}),
        },
        slot,
      );
      return;
    }
    const delay = pollDelayMs({
      policy: pollPolicyOf(target, spec),
      polls: pollErrors,
      retryAfterMs: retryAfterOf(error),
      ontap: state.job?.kind === 'ontap',
      random: this.#random(),
    });
    this.#logger.warn(
      { requestId: spec.requestId, error: described, pollErrors },
      'poll failed; polling again',
    );
    await this.#store.schedule.recordPollError(spec.requestId, slot, {
      delayMs: delay,
      deadlineAt: spec.deadlineAt,
    });
  }
}

function jobStateOf(snapshot: JobSnapshot): JobState {
  const state: JobState = { phase: snapshot.phase };
  if (snapshot.state !== undefined) state.state = snapshot.state;
  if (snapshot.status !== undefined) state.status = snapshot.status;
  if (snapshot.phase === 'terminal') state.outcome = snapshot.outcome;
  if (snapshot.message !== undefined) state.message = snapshot.message;
  if (snapshot.code !== undefined) state.code = snapshot.code;
  return state;
}

/**
 * How a terminal Job ends the request: its outcome, and why it did not do what was asked in AIQUM's words
 * (its failing task's `failure_reason`) when it ended in error or was aborted.
 */
function terminalCompletionOf(snapshot: JobSnapshot & { phase: 'terminal' }, jobState: JobState): Completion {
  const completion: Completion = {
    outcome: outcomeOfJobOutcome[snapshot.outcome],
    jobState,
    jobResults: snapshot.results,
  };
  if (snapshot.outcome === 'ERROR') {
    completion.error = requestEndings.jobError(snapshot.message, snapshot.code).error;
  }
  if (snapshot.outcome === 'ABORTED') {
    completion.error = requestEndings.jobAborted(snapshot.message, snapshot.code).error;
  }
  return completion;
}
