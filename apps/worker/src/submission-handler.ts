import { randomUUID } from 'node:crypto';
import { AiqumAbortError, AiqumError } from '@aiqum-jobs/aiqum-client';
import {
  applyResolvedReferences,
  type CreatedObject,
  createdObjectOf,
  findJobResultReferences,
  findNameReferences,
  jobResultValue,
  type Logger,
  type RequestError,
  type RequestSpec,
  type ResolvedReference,
  requestEndings,
  withJobResults,
} from '@aiqum-jobs/contracts';
import type {
  CallSlot,
  Completion,
  RequestStore,
  SubmissionPayload,
  SubmissionStart,
} from '@aiqum-jobs/core';
import { describeError, retryAfterOf } from './aiqum-error-facts.js';
import { pollDelayMs } from './poll-delay.js';
import { answeredBy, Reconciler } from './reconciler.js';
import { type EndingRecording, factsOf, type KnownState, type RequestFinisher } from './request-finisher.js';
import { callLeaseMs, type Target } from './target-clients.js';
import { pollPolicyOf } from './target-poll-policy.js';
import type { WorkerMetrics } from './worker-metrics.js';

/** What a run of a request's queue job decided: finished (for this worker), or run again in `delayMs`. */
export type SubmissionResult =
  | { readonly kind: 'done' }
  | { readonly kind: 'again'; readonly delayMs: number; readonly reason: string };

const done: SubmissionResult = { kind: 'done' };

/** Submissions that provably never reached AIQUM are retried at most this many times. */
export const maxSubmitAttempts = 10;
/** Refused by a target limit: retry after the wait the limiter named plus up to this much jitter. */
const limitJitterMs = 100;
/** A synchronous answer larger than this is not kept in the record or the event. */
const maxResponseBytes = 64 * 1024;

export interface SubmissionHandlerOptions {
  store: RequestStore;
  finisher: RequestFinisher;
  targets: ReadonlyMap<string, Target>;
  logger: Logger;
  metrics: WorkerMetrics;
  /** Aborted at shutdown: name lookups stop at once (their requests run again later, for another worker). */
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
 * Submits a request to AIQUM, each time its queue job is picked up, until AIQUM accepted it (then the
 * target's poller tracks its Job, see `PollHandler`) or it ended.
 */
export class SubmissionHandler {
  readonly #store: RequestStore;
  readonly #finisher: RequestFinisher;
  readonly #targets: ReadonlyMap<string, Target>;
  readonly #logger: Logger;
  readonly #metrics: WorkerMetrics;
  readonly #shutdownSignal: AbortSignal;
  readonly #hardStopSignal: AbortSignal | undefined;
  readonly #random: () => number;
  readonly #reconciler: Reconciler;

  constructor(options: SubmissionHandlerOptions) {
    this.#reconciler = new Reconciler(options.store);
    this.#store = options.store;
    this.#finisher = options.finisher;
    this.#targets = options.targets;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.#shutdownSignal = options.shutdownSignal;
    this.#hardStopSignal = options.hardStopSignal;
    this.#random = options.random ?? Math.random;
  }

  /** `spec`: the queue job's payload, the request's spec and (under a retry policy) which attempt it is. */
  async submit(spec: SubmissionPayload): Promise<SubmissionResult> {
    if (spec.retry !== undefined && !(await this.#isCurrentAttempt(spec))) return done;
    const target = this.#targets.get(spec.target);
    if (!target) {
      const view = await this.#store.records.getState(spec.requestId);
      if (!view || view.status === 'completed') return done;
      return this.#end(spec, view, requestEndings.targetNotConfigured(spec.target));
    }
    // Names are looked up before the submission's slot is taken (a lookup takes a slot of its own), and
    // mostly come from the target's cache: no call at all.
    const sent = await this.#resolveNames(spec, target);
    if ('later' in sent) return sent.later;
    // One command reads the state, takes a call slot and claims the submission. The claim outlives the
    // call (the client's timeout bounds it), so a live holder is never taken over.
    const token = randomUUID();
    const submitLeaseMs = callLeaseMs(target.config, false);
    const created = reconcilableObject(spec, 'path' in sent ? sent : undefined);
    const start = await this.#store.submissions.begin(spec.requestId, {
      target: target.config.name,
      limits: target.config.limits,
      leaseId: token,
      token,
      claimLeaseMs: submitLeaseMs,
      allowResubmit: spec.method === 'GET' || spec.retryAmbiguous,
      submitLeaseMs,
      ...(mayStartAiqumJob(spec) ? { write: { object: created?.identity ?? '' } } : {}),
    });
    const slot: CallSlot = { target: target.config.name, leaseId: token };
    switch (start.verdict) {
      case 'missing':
      case 'completed':
      case 'waiting':
      case 'tracking':
        // A tracked request is the pollers' (a queue job re-run after its submission has nothing to do).
        return done;
      case 'busy':
        return this.#again(start.ms, 'submission held elsewhere');
      case 'limited':
        // Nothing was claimed or sent: a request that waited for a slot past its deadline ends at it.
        if (await this.#store.clock.reached(spec.deadlineAt)) {
          return this.#end(spec, start.state, requestEndings.deadlineBeforeSubmission());
        }
        return this.#againBefore(spec, start.ms + this.#random() * limitJitterMs, 'target limit');
      case 'interrupted':
        return this.#inDoubt(spec, start.state, target, created, undefined);
      case 'claimed':
        if (start.reconciling) {
          return this.#reconcile(
            spec,
            start,
            target,
            { token, slot },
            created,
            'path' in sent ? sent : undefined,
          );
        }
        // Ended under the claim, so no other run of this request can submit it meanwhile.
        if ('inputError' in sent) return this.#end(spec, start.state, sent.inputError, slot);
        return this.#send(spec, start, target, token, slot, sent);
    }
  }

  /**
   * Whether the request is still at the attempt this queue job submits. A job run again after its attempt
   * ended (its worker died before BullMQ heard that the job was done) must not submit the next attempt before
   * that attempt's backoff is over: the next attempt has a queue job of its own.
   */
  async #isCurrentAttempt(spec: SubmissionPayload): Promise<boolean> {
    const state = await this.#store.records.getState(spec.requestId);
    return state !== undefined && (state.attempt ?? 1) === (spec.attempt ?? 1);
  }

  /** A request whose queue job failed for good (internal errors, stalled too often) still gets an outcome. */
  async giveUp(spec: SubmissionPayload, error: Error): Promise<void> {
    const view = await this.#store.records.getState(spec.requestId);
    if (!view || view.status === 'completed') return;
    this.#logger.error({ requestId: spec.requestId, err: error }, 'request failed inside the worker');
    await this.#finisher.complete(spec, factsOf(view), {
      ...requestEndings.queueJobFailed(error.message),
      ...(view.jobState ? { jobState: view.jobState } : {}),
    });
  }

  /**
   * The path and body to send: the request's own, with its dependencies' job results in place of its
   * `$jobResult` references, and every object it names replaced by the key a lookup found. A job result
   * that is missing, or a name that matches nothing or several objects, is the request's error, which ends
   * it `failed` once its submission is claimed (nothing is submitted); a lookup the target's limits, a
   * transient failure or the worker's shutdown holds up is tried again later.
   */
  async #resolveNames(
    spec: SubmissionPayload,
    target: Target,
  ): Promise<Sent | { later: SubmissionResult } | { inputError: Completion }> {
    const unchanged: Sent = { path: spec.path, body: spec.body, resolved: [] };
    // Past the deadline the submission ends the request as timed out; no lookup is needed for that.
    if (await this.#store.clock.reached(spec.deadlineAt)) return unchanged;
    const withResults = await this.#withJobResults(spec);
    if ('outcome' in withResults) return { inputError: withResults };
    const { references } = findNameReferences(withResults);
    if (references.length === 0) return { path: spec.path, body: withResults.body, resolved: [] };
    // What a dependency just made must be found: a request with dependencies shares no earlier lookup.
    const resolution = await target.resolver.resolve(references, this.#shutdownSignal, {
      fresh: spec.dependsOn !== undefined,
    });
    if (resolution.kind === 'resolved') {
      return { ...applyResolvedReferences(withResults, resolution.resolved), resolved: resolution.resolved };
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
            policy: pollPolicyOf(target, spec),
            polls: 0,
            retryAfterMs: resolution.afterMs > 0 ? resolution.afterMs : undefined,
            ontap: false,
            random: this.#random(),
          })
        : resolution.afterMs + this.#random() * limitJitterMs;
      return { later: await this.#againBefore(spec, delay, 'name lookup') };
    }
    return { inputError: { outcome: 'failed', error: resolution.error } };
  }

  /**
   * `spec` with each `$jobResult` reference replaced by the value of its dependency's job result (names
   * compared case-insensitively); the ending of the first one that is missing.
   */
  async #withJobResults(spec: RequestSpec): Promise<RequestSpec | Completion> {
    const { references } = findJobResultReferences(spec);
    if (references.length === 0) return spec;
    const dependencies = spec.dependsOn ?? [];
    const records = await this.#store.records.getMany(dependencies.map(({ requestId }) => requestId));
    const resultsOf = new Map(dependencies.map(({ ref }, index) => [ref, records[index]?.jobResults ?? []]));
    const resultValue = (ref: string, name: string) => jobResultValue(resultsOf.get(ref) ?? [], name);
    for (const reference of references) {
      if (resultValue(reference.ref, reference.name) !== undefined) continue;
      const dependency = dependencies.find(({ ref }) => ref === reference.ref);
      const available = (resultsOf.get(reference.ref) ?? []).map((result) => result.name);
      return requestEndings.jobResultMissing(
        reference.field,
        { ref: reference.ref, requestId: dependency?.requestId ?? '' },
        reference.name,
        available,
      );
    }
    return withJobResults(spec, ({ ref, name }) => resultValue(ref, name) ?? '');
  }

  /** Sends a claimed submission and records AIQUM's answer: its Job tracked, or the request's end. */
  async #send(
    spec: SubmissionPayload,
    start: SubmissionStart,
    target: Target,
    token: string,
    slot: CallSlot,
    sent: Sent,
  ): Promise<SubmissionResult> {
    const state: KnownState = { ...start.state, resolved: sent.resolved };
    if (await this.#store.clock.reached(spec.deadlineAt)) {
      return this.#end(spec, state, requestEndings.deadlineBeforeSubmission(), slot);
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
      return this.#sendFailed(
        spec,
        state,
        target,
        { token, attempts: start.submitAttempts, slot },
        error,
        sent,
      );
    }
    callEnded();

    if (result.kind === 'sync') {
      return this.#end(spec, state, { outcome: 'succeeded', response: keptResponse(result.body) }, slot);
    }
    // With long polling the first poll waits on the server at once; else the policy's first delay.
    const delay =
      target.config.longPoll && result.job.kind === 'aiqum'
        ? 0
        : pollDelayMs({
            policy: pollPolicyOf(target, spec),
            polls: 0,
            ontap: result.job.kind === 'ontap',
            random: this.#random(),
          });
    const status = await this.#store.submissions.acceptJob(
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

  async #sendFailed(
    spec: SubmissionPayload,
    state: KnownState,
    target: Target,
    claim: { token: string; attempts: number; slot: CallSlot },
    error: unknown,
    sent: Sent,
  ): Promise<SubmissionResult> {
    const { attempts } = claim;
    if (!(error instanceof AiqumError)) throw error;
    const described = describeError(error);
    const repeatable = spec.method === 'GET' || spec.retryAmbiguous;
    // Stopped at the shutdown timeout: a call that is safe to repeat is handed to another worker.
    const stopped = error instanceof AiqumAbortError && this.#hardStopSignal?.aborted === true;
    const mayRetry = error.ambiguous ? repeatable : error.retryable || stopped;
    if (error.ambiguous && !repeatable) {
      return this.#inDoubt(spec, state, target, reconcilableObject(spec, sent), {
        ...claim,
        error: described,
      });
    }
    if (mayRetry && attempts < maxSubmitAttempts) {
      await this.#store.submissions.requeue(spec, claim.token, claim.slot, error.ambiguous ? 'record' : '');
      const delay = pollDelayMs({
        policy: pollPolicyOf(target, spec),
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
    if (error.ambiguous) {
      return this.#end(spec, state, requestEndings.submissionAmbiguous(described), claim.slot);
    }
    return this.#end(
      spec,
      state,
      requestEndings.submissionFailed(described, mayRetry ? attempts : undefined),
      claim.slot,
    );
  }

  /**
   * A write that may have reached AIQUM unanswered: its call failed that way (`holder`: the claim and the
   * client's error), or its worker died mid-call (no holder). Its time in doubt is recorded; a write whose
   * object can be looked for is reconciled once every write of that time was answered, any other ends
   * `unknown` as before.
   */
  async #inDoubt(
    spec: RequestSpec,
    state: KnownState,
    target: Target,
    created: CreatedObject | undefined,
    holder: { token: string; slot: CallSlot; error: RequestError } | undefined,
  ): Promise<SubmissionResult> {
    // How a write that is not reconciled ends: unknown, as before reconciliation.
    const unreconciled = holder
      ? requestEndings.submissionAmbiguous(holder.error)
      : requestEndings.submissionInterrupted();
    // A gateway write starts an ONTAP job, which no other write could take for its own.
    if (!mayStartAiqumJob(spec)) return this.#end(spec, state, unreconciled, holder?.slot);
    const begun = await this.#store.submissions.beginReconciliation(spec, holder);
    if (begun.status === 'busy') return this.#again(0, 'submission held elsewhere');
    if (begun.status !== 'queued' || !begun.window) return done;
    if (!created) return this.#end(spec, state, unreconciled);
    this.#logger.warn(
      { requestId: spec.requestId, window: begun.window, error: holder?.error },
      'the write may have reached AIQUM unanswered; reconciling',
    );
    return this.#againBefore(spec, answeredBy(target, begun.window) - begun.now, 'reconciliation');
  }

  /** A run of a reconciliation (its claim holds a call slot for the calls it makes). */
  async #reconcile(
    spec: RequestSpec,
    start: SubmissionStart,
    target: Target,
    claim: { token: string; slot: CallSlot },
    created: CreatedObject | undefined,
    sent: Sent | undefined,
  ): Promise<SubmissionResult> {
    const window = start.reconciling;
    if (!window) return done;
    const doubtError = window.error;
    const state: KnownState = { ...start.state, ...(sent ? { resolved: sent.resolved } : {}) };
    if (!created) {
      return this.#end(
        spec,
        state,
        requestEndings.reconciliationUnsettled('its object cannot be named', doubtError),
        claim.slot,
      );
    }
    if (start.now >= spec.deadlineAt) {
      return this.#end(
        spec,
        state,
        requestEndings.reconciliationUnsettled('the deadline passed while reconciling', doubtError),
        claim.slot,
      );
    }
    const verdict = await this.#reconciler.reconcile({
      requestId: spec.requestId,
      target,
      created,
      window,
      now: start.now,
      signal: this.#shutdownSignal,
    });
    this.#logger.info({ requestId: spec.requestId, verdict }, 'reconciliation');
    switch (verdict.kind) {
      case 'wait':
        await this.#store.submissions.requeue(spec, claim.token, claim.slot, 'keep');
        return this.#againBefore(spec, verdict.delayMs + this.#random() * limitJitterMs, verdict.reason);
      case 'unsettled':
        return this.#end(
          spec,
          state,
          requestEndings.reconciliationUnsettled(verdict.found, doubtError),
          claim.slot,
        );
      case 'resubmit': {
        await this.#store.submissions.requeue(spec, claim.token, claim.slot, 'settle');
        if (start.submitAttempts >= maxSubmitAttempts) {
          return this.#end(
            spec,
            state,
            requestEndings.submissionNotReceived(`its ${start.submitAttempts} submit attempts are used up`),
          );
        }
        if (await this.#store.clock.reached(spec.deadlineAt)) {
          return this.#end(spec, state, requestEndings.submissionNotReceived('its deadline passed'));
        }
        return this.#again(0, 'resubmission after proof of non-receipt');
      }
      case 'track': {
        const status = await this.#store.submissions.acceptJob(
          spec,
          verdict.job,
          claim.token,
          claim.slot,
          { delayMs: 0, deadlineAt: spec.deadlineAt },
          sent?.resolved ?? [],
          true,
        );
        this.#logger.info(
          { requestId: spec.requestId, job: verdict.job, status, found: verdict.found },
          'reconciliation found the job of the write',
        );
        return done;
      }
    }
  }

  async #end(
    spec: SubmissionPayload,
    state: KnownState,
    completion: Completion,
    recording: EndingRecording = undefined,
  ): Promise<SubmissionResult> {
    await this.#finisher.complete(spec, factsOf(state), completion, recording);
    return done;
  }

  /** Runs again after `delayMs`, but not after the request's deadline (by Redis's clock). */
  async #againBefore(spec: SubmissionPayload, delayMs: number, reason: string): Promise<SubmissionResult> {
    const leftMs = spec.deadlineAt - (await this.#store.clock.now());
    return this.#again(Math.max(0, Math.min(delayMs, leftMs)), reason);
  }

  #again(delayMs: number, reason: string): SubmissionResult {
    return { kind: 'again', delayMs: Math.round(delayMs), reason };
  }
}

/** What is sent for a request: its path and body with names replaced by keys, and those replacements. */
interface Sent {
  path: string;
  body: SubmissionPayload['body'];
  resolved: ResolvedReference[];
}

/**
 * Whether the request is a write that may start a Unified Manager job (one reconciliation of another write
 * could mistake for its own); writes through the gateway start ONTAP jobs, which Unified Manager does not list.
 */
function mayStartAiqumJob(spec: RequestSpec): boolean {
  return spec.method !== 'GET' && !/^\/api(\/v\d+)?\/gateways\//.test(spec.path);
}

/**
 * The object a write creates, when reconciliation can look for it (a request that resends ambiguous writes
 * is not reconciled): looked for by the names as sent, else as the request gives them.
 */
function reconcilableObject(spec: RequestSpec, sent: Sent | undefined): CreatedObject | undefined {
  if (spec.retryAmbiguous) return undefined;
  return createdObjectOf({
    method: spec.method,
    path: sent?.path ?? spec.path,
    body: sent?.body ?? spec.body,
  });
}

function keptResponse(body: unknown): unknown {
  if (body === undefined || body === null) return undefined;
  return Buffer.byteLength(JSON.stringify(body)) <= maxResponseBytes ? body : undefined;
}
