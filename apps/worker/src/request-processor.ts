import { randomUUID } from 'node:crypto';
import { AiqumAbortError, AiqumApiError, AiqumError, type JobSnapshot } from '@aiqum-jobs/aiqum-client';
import {
  applyResolvedReferences,
  type CallSlot,
  type ClaimedPoll,
  type Completion,
  findNameReferences,
  type JobState,
  type Logger,
  outcomeOfJobOutcome,
  type PollPolicy,
  type RequestError,
  type RequestSpec,
  type RequestState,
  type RequestStore,
  type ResolvedReference,
  requestErrorCodes,
  type StepStart,
  type TrackedFacts,
} from '@aiqum-jobs/core';
import { describeError, retryAfterOf } from './aiqum-error-facts.js';
import { pollDelayMs } from './poll-delay.js';
import { callLeaseMs, type Target } from './target-clients.js';
import type { WorkerMetrics } from './worker-metrics.js';

/** What one step of a request decided: it is finished (for this worker), or it runs again in `delayMs`. */
export type Step =
  | { readonly kind: 'done' }
  | { readonly kind: 'again'; readonly delayMs: number; readonly reason: string };

const done: Step = { kind: 'done' };

/** Submissions that provably never reached AIQUM are retried at most this many times. */
export const maxSubmitAttempts = 10;
/** Polls that fail in a row (transport errors, unreadable answers) before the outcome is `unknown`. */
export const maxConsecutivePollErrors = 10;
/**
 * Polls that fail inside the worker in a row (our code or a Redis script threw, not an AIQUM answer) before
 * the outcome is `unknown` with `INTERNAL_ERROR`: a request our code cannot handle is not retried forever.
 */
export const maxConsecutivePollFailures = 5;
/** Refused by a target limit: retry after the wait the limiter named plus up to this much jitter. */
const limitJitterMs = 100;
/** A request whose deadline passed before it was sent: nothing reached AIQUM. */
const deadlineBeforeSubmission: Completion = {
  outcome: 'timed_out',
  error: {
    code: requestErrorCodes.deadlineExceeded,
    message: 'the deadline passed before the request could be submitted',
  },
};
/** A synchronous answer larger than this is not kept in the record or the event. */
const maxResponseBytes = 64 * 1024;

export interface RequestProcessorOptions {
  store: RequestStore;
  targets: ReadonlyMap<string, Target>;
  logger: Logger;
  metrics: WorkerMetrics;
  /** Aborted at shutdown: polls stop at once (their requests are due again at once, for another worker). */
  shutdownSignal: AbortSignal;
  /**
   * Aborted when the shutdown timeout has passed: submissions still in flight stop too. A read goes back
   * to the queue; a write that may have reached AIQUM ends `unknown` (or is requeued if repeatable).
   * @defaultValue never aborted
   */
  hardStopSignal?: AbortSignal;
  /** @defaultValue `Math.random` */
  random?: () => number;
}

/**
 * A request's life in this worker: `step` submits it, each time its queue job is picked up; `poll` polls its
 * AIQUM Job once, each time a poller claimed it. Between polls the request waits in Redis, never in this
 * process. Every outcome goes through `RequestStore.complete`, which happens once per request however many
 * workers race.
 */
export class RequestProcessor {
  readonly #store: RequestStore;
  readonly #targets: ReadonlyMap<string, Target>;
  readonly #logger: Logger;
  readonly #metrics: WorkerMetrics;
  readonly #shutdownSignal: AbortSignal;
  readonly #hardStopSignal: AbortSignal | undefined;
  readonly #random: () => number;

  constructor(options: RequestProcessorOptions) {
    this.#store = options.store;
    this.#targets = options.targets;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.#shutdownSignal = options.shutdownSignal;
    this.#hardStopSignal = options.hardStopSignal;
    this.#random = options.random ?? Math.random;
  }

  async step(spec: RequestSpec): Promise<Step> {
    const target = this.#targets.get(spec.target);
    if (!target) {
      const view = await this.#store.getState(spec.requestId);
      if (!view || view.status === 'completed') return done;
      return this.#complete(spec, factsOf(view), {
        outcome: 'failed',
        error: {
          code: requestErrorCodes.unknownTarget,
          message: `target "${spec.target}" is not configured on this worker`,
        },
      });
    }
    // Names are looked up before the submission's slot is taken (a lookup takes a slot of its own), and
    // mostly come from the target's cache: no call at all.
    const sent = await this.#resolveNames(spec, target);
    if ('step' in sent) return sent.step;
    // One command reads the state, takes a call slot and, for a submission, claims it. The claim outlives
    // the call (the client's timeout bounds it), so a live holder is never taken over.
    const token = randomUUID();
    const submitLeaseMs = callLeaseMs(target.config, false);
    const start = await this.#store.beginStep(spec.requestId, {
      target: target.config.name,
      limits: target.config.limits,
      leaseId: token,
      token,
      claimLeaseMs: submitLeaseMs,
      allowResubmit: spec.method === 'GET' || spec.retryAmbiguous,
      submitLeaseMs,
    });
    const slot: CallSlot = { target: target.config.name, leaseId: token };
    switch (start.verdict) {
      case 'missing':
      case 'completed':
      case 'tracking':
        // A tracked request is the pollers' (a queue job re-run after its submission has nothing to do).
        return done;
      case 'busy':
        return this.#again(start.ms, 'submission held elsewhere');
      case 'limited':
        // Nothing was claimed or sent: a request that waited for a slot past its deadline ends at it.
        if (await this.#pastDeadline(spec)) {
          return this.#complete(spec, factsOf(start.state), deadlineBeforeSubmission);
        }
        return this.#againBefore(spec, start.ms + this.#random() * limitJitterMs, 'target limit');
      case 'interrupted':
        return this.#complete(spec, factsOf(start.state), {
          outcome: 'unknown',
          error: {
            code: requestErrorCodes.submissionAmbiguous,
            message:
              'the worker submitting this request stopped before AIQUM answered: AIQUM may or may not have ' +
              'accepted it, so it is not submitted again (set retryAmbiguous to resubmit such requests)',
          },
        });
      case 'claimed':
        // Ended under the claim, so no other run of this request can submit it meanwhile.
        if ('nameError' in sent) {
          return this.#complete(
            spec,
            factsOf(start.state),
            { outcome: 'failed', error: sent.nameError },
            slot,
          );
        }
        return this.#submit(spec, start, target, token, slot, sent);
    }
  }

  /**
   * The path and body to send: the request's own, with every object it names replaced by the key a lookup
   * found. A name that matches nothing or several objects is the request's error, which ends it `failed`
   * once its submission is claimed (nothing is submitted); a lookup the target's limits, a transient failure
   * or the worker's shutdown holds up is tried again later.
   */
  async #resolveNames(
    spec: RequestSpec,
    target: Target,
  ): Promise<Sent | { step: Step } | { nameError: RequestError }> {
    const unchanged: Sent = { path: spec.path, body: spec.body, resolved: [] };
    // Past the deadline the submission step ends the request as timed out; no lookup is needed for that.
    if (await this.#pastDeadline(spec)) return unchanged;
    const { references } = findNameReferences(spec);
    if (references.length === 0) return unchanged;
    const resolution = await target.resolver.resolve(references, this.#shutdownSignal);
    if (resolution.kind === 'resolved') {
      return { ...applyResolvedReferences(spec, resolution.resolved), resolved: resolution.resolved };
    }
    if (resolution.kind === 'later') {
      if (resolution.error) {
        this.#logger.warn(
          { requestId: spec.requestId, error: resolution.error },
          'name lookup failed; retrying',
        );
      }
      const delay = resolution.error
        ? pollDelayMs({
            policy: policyOf(target, spec),
            polls: 0,
            retryAfterMs: resolution.afterMs > 0 ? resolution.afterMs : undefined,
            ontap: false,
            random: this.#random(),
          })
        : resolution.afterMs + this.#random() * limitJitterMs;
      return { step: await this.#againBefore(spec, delay, 'name lookup') };
    }
    return { nameError: resolution.error };
  }

  async #submit(
    spec: RequestSpec,
    start: StepStart,
    target: Target,
    token: string,
    slot: CallSlot,
    sent: Sent,
  ): Promise<Step> {
    const view = { ...start.state, resolved: sent.resolved };
    if (await this.#pastDeadline(spec)) {
      return this.#complete(spec, factsOf(view), deadlineBeforeSubmission, slot);
    }
    const headers = { 'X-Correlation-Id': spec.requestId };
    const signal = this.#hardStopSignal ? { signal: this.#hardStopSignal } : {};
    let result: Awaited<ReturnType<Target['client']['submit']>>;
    const callEnded = this.#metrics.submitDuration.startTimer({ target: target.config.name });
    try {
      if (spec.method === 'GET') {
        const body = await target.client.get(sent.path, { headers, ...signal });
        result = { kind: 'sync', status: 200, body, headers: {}, requestId: undefined };
      } else {
        result = await target.client.submit({
          method: spec.method,
          path: sent.path,
          body: sent.body,
          headers,
          ...signal,
        });
      }
    } catch (error) {
      callEnded();
      return this.#submissionFailed(
        spec,
        view,
        target,
        { token, attempts: start.submitAttempts, slot },
        error,
      );
    }
    callEnded();

    if (result.kind === 'sync') {
      return this.#complete(
        spec,
        factsOf(view),
        { outcome: 'succeeded', response: keptResponse(result.body) },
        slot,
      );
    }
    // With long polling the first poll waits on the server at once; else the policy's first delay.
    const delay =
      target.config.longPoll && result.job.kind === 'aiqum'
        ? 0
        : pollDelayMs({
            policy: policyOf(target, spec),
            polls: 0,
            ontap: result.job.kind === 'ontap',
            random: this.#random(),
          });
    const status = await this.#store.acceptJob(
      spec,
      result.job,
      token,
      slot,
      { delayMs: delay, deadlineAt: spec.deadlineAt },
      sent.resolved,
    );
    if (status !== 'tracking') {
      this.#logger.warn(
        { requestId: spec.requestId, job: result.job, status },
        'request ended while it was being submitted; the AIQUM job it started keeps running untracked',
      );
      return done;
    }
    this.#logger.info({ requestId: spec.requestId, job: result.job }, 'AIQUM accepted the request');
    // From here the target's poller tracks the Job; the queue job is done.
    return done;
  }

  /** Polls one claimed request and records what it saw: the next poll, or the request's end. */
  async poll(claim: ClaimedPoll): Promise<void> {
    const record = claim.record;
    if (record === undefined || record.status !== 'tracking') {
      // Gone, unreadable or no longer tracked: nothing to poll.
      await this.#store.recordPollError(claim.requestId, claim.slot, {
        delayMs: 0,
        deadlineAt: Number.MAX_SAFE_INTEGER,
      });
      return;
    }
    const target = this.#targets.get(record.spec.target);
    if (!target) throw new Error(`no target ${record.spec.target} for a claimed poll`);
    const state: StepState = { job: record.job };
    if (record.resolved) state.resolved = record.resolved;
    if (record.dialect) state.dialect = record.dialect;
    if (record.jobState) state.jobState = record.jobState;
    if (record.submittedAt !== undefined) state.submittedAt = record.submittedAt;
    try {
      await this.#poll(
        record.spec,
        state,
        { polls: record.polls, pollErrors: record.pollErrors },
        target,
        claim.slot,
      );
    } catch (error) {
      await this.#pollFailedInside(record.spec, state, record.polls, target, claim.slot, error);
    }
  }

  /**
   * A poll that threw inside the worker: tried again later like a poll, or, after
   * `maxConsecutivePollFailures` in a row (counted in Redis, across restarts and workers), the request ends.
   */
  async #pollFailedInside(
    spec: RequestSpec,
    view: StepState,
    polls: number,
    target: Target,
    slot: CallSlot,
    error: unknown,
  ): Promise<void> {
    const reason = error instanceof Error ? error.message : String(error);
    const delay = pollDelayMs({
      policy: policyOf(target, spec),
      polls: polls + 1,
      ontap: view.job?.kind === 'ontap',
      random: this.#random(),
    });
    const { status, pollFailures } = await this.#store.recordPollFailure(spec.requestId, slot, {
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
    await this.#complete(spec, factsOf(view), {
      outcome: 'unknown',
      ...(view.jobState ? { jobState: view.jobState } : {}),
      error: {
        code: requestErrorCodes.internal,
        message: `the worker gave up on this request after ${pollFailures} polls in a row failed inside it: ${reason}`,
      },
    });
  }

  /** A request whose queue job failed for good (internal errors, or stalled too often) still gets its one outcome. */
  async giveUp(spec: RequestSpec, error: Error): Promise<void> {
    const view = await this.#store.getState(spec.requestId);
    if (!view || view.status === 'completed') return;
    this.#logger.error({ requestId: spec.requestId, err: error }, 'request failed inside the worker');
    await this.#complete(spec, factsOf(view), {
      outcome: 'unknown',
      ...(view.jobState ? { jobState: view.jobState } : {}),
      error: {
        code: requestErrorCodes.internal,
        message: `the worker gave up on this request: ${error.message}`,
      },
    });
  }

  async #submissionFailed(
    spec: RequestSpec,
    view: StepState,
    target: Target,
    claim: { token: string; attempts: number; slot: CallSlot },
    error: unknown,
  ): Promise<Step> {
    const { attempts } = claim;
    if (!(error instanceof AiqumError)) throw error;
    const described = describeError(error);
    const repeatable = spec.method === 'GET' || spec.retryAmbiguous;
    // Stopped at the shutdown timeout: a call that is safe to repeat is handed to another worker.
    const stopped = error instanceof AiqumAbortError && this.#hardStopSignal?.aborted === true;
    const mayRetry = error.ambiguous ? repeatable : error.retryable || stopped;
    if (mayRetry && attempts < maxSubmitAttempts) {
      await this.#store.requeueSubmission(spec.requestId, claim.token, claim.slot);
      const delay = pollDelayMs({
        policy: policyOf(target, spec),
        polls: attempts,
        retryAfterMs: retryAfterOf(error),
        ontap: false,
        random: this.#random(),
      });
      this.#logger.warn(
        { requestId: spec.requestId, error: described, attempts },
        'submission failed; retrying',
      );
      return this.#againBefore(spec, delay, 'submission retry');
    }
    if (error.ambiguous && !repeatable) {
      return this.#complete(
        spec,
        factsOf(view),
        {
          outcome: 'unknown',
          error: {
            ...described,
            code: requestErrorCodes.submissionAmbiguous,
            message: `${described.message}; the call may have reached AIQUM, so it is not submitted again (set retryAmbiguous to resubmit such requests)`,
          },
        },
        claim.slot,
      );
    }
    const message = mayRetry
      ? `${described.message} (gave up after ${attempts} attempts)`
      : described.message;
    return this.#complete(
      spec,
      factsOf(view),
      { outcome: 'failed', error: { ...described, message } },
      claim.slot,
    );
  }

  async #poll(
    spec: RequestSpec,
    view: StepState,
    counts: { polls: number; pollErrors: number },
    target: Target,
    slot: CallSlot,
  ): Promise<void> {
    const job = view.job;
    if (!job) {
      await this.#complete(
        spec,
        factsOf(view),
        {
          outcome: 'unknown',
          error: { code: requestErrorCodes.internal, message: 'the tracked request has no job reference' },
        },
        slot,
      );
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
      await this.#pollFailed(spec, view, counts.pollErrors + 1, target, error, slot);
      return;
    }
    callEnded();

    const jobState = jobStateOf(snapshot);
    const dialect = snapshot.phase === 'gone' ? view.dialect : snapshot.dialect;
    const facts: TrackedFacts = { job, dialect, submittedAt: view.submittedAt, resolved: view.resolved };
    // A poll that sees the end is recorded by the terminal transition itself, one command.
    const ended = { slot, countPoll: true };

    if (snapshot.phase === 'terminal') {
      const completion: Completion = {
        outcome: outcomeOfJobOutcome[snapshot.outcome],
        jobState,
        jobResults: snapshot.results,
      };
      const jobError = jobErrorOf(snapshot);
      if (jobError) completion.error = jobError;
      await this.#complete(spec, facts, completion, ended);
      return;
    }
    if (snapshot.phase === 'gone') {
      await this.#complete(
        spec,
        facts,
        {
          outcome: 'unknown',
          jobState,
          error: {
            code: requestErrorCodes.jobGone,
            message: `AIQUM answered 404 for job ${job.href}, which it had accepted: it finished and was purged, or was lost, so its outcome cannot be known`,
          },
        },
        ended,
      );
      return;
    }
    const tookMs = performance.now() - startedAt;
    if (await this.#pastDeadline(spec)) {
      await this.#complete(
        spec,
        facts,
        {
          outcome: 'timed_out',
          jobState,
          error: {
            code: requestErrorCodes.deadlineExceeded,
            message: `the deadline passed while the AIQUM job was still ${snapshot.state ?? 'running'}`,
          },
        },
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
            policy: policyOf(target, spec),
            polls: counts.polls + 1,
            retryAfterMs: snapshot.retryAfterMs,
            ontap: job.kind === 'ontap',
            random: this.#random(),
          });
    // The interval runs from the start of this poll, so a cycle's own work does not stretch the interval.
    await this.#store.recordPoll(spec.requestId, jobState, dialect, slot, {
      delayMs: Math.max(0, delay - tookMs),
      deadlineAt: spec.deadlineAt,
    });
  }

  /** A poll that failed: tried again later (backing off), or, past the limits, the request ends. */
  async #pollFailed(
    spec: RequestSpec,
    view: StepState,
    pollErrors: number,
    target: Target,
    error: unknown,
    slot: CallSlot,
  ): Promise<void> {
    if (!(error instanceof AiqumError)) throw error;
    if (error instanceof AiqumAbortError && this.#shutdownSignal.aborted) {
      // Shutting down: hand the poll to another worker now.
      await this.#store.releaseClaims([{ requestId: spec.requestId, slot }]);
      return;
    }
    const described = describeError(error);
    const permanent = error instanceof AiqumApiError && !error.retryable;
    const pastDeadline = await this.#pastDeadline(spec);
    if (permanent || pollErrors >= maxConsecutivePollErrors || pastDeadline) {
      const outcome = pastDeadline && !permanent ? 'timed_out' : 'unknown';
      await this.#complete(
        spec,
        factsOf(view),
        {
          outcome,
          ...(view.jobState ? { jobState: view.jobState } : {}),
          error: {
            ...described,
            message: `the AIQUM job could not be read (${pollErrors} failed polls in a row): ${described.message}`,
          },
        },
        slot,
      );
      return;
    }
    const delay = pollDelayMs({
      policy: policyOf(target, spec),
      polls: pollErrors,
      retryAfterMs: retryAfterOf(error),
      ontap: view.job?.kind === 'ontap',
      random: this.#random(),
    });
    this.#logger.warn(
      { requestId: spec.requestId, error: described, pollErrors },
      'poll failed; polling again',
    );
    await this.#store.recordPollError(spec.requestId, slot, { delayMs: delay, deadlineAt: spec.deadlineAt });
  }

  async #complete(
    spec: RequestSpec,
    facts: TrackedFacts,
    completion: Completion,
    options: CallSlot | { slot: CallSlot; countPoll: boolean } | undefined = undefined,
  ): Promise<Step> {
    const recording = options === undefined ? {} : 'leaseId' in options ? { slot: options } : options;
    const result = await this.#store.complete(spec, facts, completion, recording);
    if (result === 'completed') {
      this.#metrics.requestsCompleted.inc({ outcome: completion.outcome, target: spec.target });
    }
    const log = { requestId: spec.requestId, batchId: spec.batchId, outcome: completion.outcome, result };
    if (completion.error) this.#logger.info({ ...log, error: completion.error }, 'request completed');
    else this.#logger.info(log, 'request completed');
    return done;
  }

  /** Deadlines are compared on Redis's clock, the one the scripts schedule on, not this process's. */
  async #pastDeadline(spec: RequestSpec): Promise<boolean> {
    return (await this.#store.clock.now()) >= spec.deadlineAt;
  }

  /** Runs the step again after `delayMs`, but not after the request's deadline (by Redis's clock). */
  async #againBefore(spec: RequestSpec, delayMs: number, reason: string): Promise<Step> {
    const leftMs = spec.deadlineAt - (await this.#store.clock.now());
    return this.#again(Math.max(0, Math.min(delayMs, leftMs)), reason);
  }

  #again(delayMs: number, reason: string): Step {
    return { kind: 'again', delayMs: Math.round(delayMs), reason };
  }
}

/** What a step knows of the request's state: `beginStep` reads it, without the status. */
type StepState = Omit<RequestState, 'status'> & { resolved?: ResolvedReference[] };

/** What is sent for a request: its path and body with names replaced by keys, and those replacements. */
interface Sent {
  path: string;
  body: RequestSpec['body'];
  resolved: ResolvedReference[];
}

function factsOf(view: StepState): TrackedFacts {
  return { job: view.job, dialect: view.dialect, submittedAt: view.submittedAt, resolved: view.resolved };
}

/** The target's poll policy with the request's overrides, kept consistent. */
function policyOf(target: Target, spec: RequestSpec): PollPolicy {
  const overrides = Object.fromEntries(
    Object.entries(spec.poll ?? {}).filter((entry): entry is [string, number] => entry[1] !== undefined),
  );
  const merged: PollPolicy = { ...target.config.poll, ...overrides };
  return { ...merged, initialDelayMs: Math.min(merged.initialDelayMs, merged.maxDelayMs) };
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

/** Why a terminal Job did not do what was asked, in AIQUM's words (its failing task's `failure_reason`). */
function jobErrorOf(snapshot: JobSnapshot & { phase: 'terminal' }): RequestError | undefined {
  const aiqumCode = snapshot.code === undefined ? {} : { aiqumCode: snapshot.code };
  if (snapshot.outcome === 'ERROR') {
    return {
      code: requestErrorCodes.jobError,
      message: snapshot.message ?? 'the AIQUM job ended in error without a failure reason',
      ...aiqumCode,
    };
  }
  if (snapshot.outcome === 'ABORTED') {
    return {
      code: requestErrorCodes.jobAborted,
      message: snapshot.message ?? 'the AIQUM job was aborted',
      ...aiqumCode,
    };
  }
  return undefined;
}

function keptResponse(body: unknown): unknown {
  if (body === undefined || body === null) return undefined;
  return Buffer.byteLength(JSON.stringify(body)) <= maxResponseBytes ? body : undefined;
}
