import {
  eventIds,
  type JobRef,
  type RequestAcceptedEvent,
  type RequestError,
  type ResolvedReference,
} from '@aiqum-jobs/contracts';
import { z } from 'zod';
import { type CallSlot, slotKeys } from './call-slot.js';
import type { NextPoll } from './poll-schedule.js';
import { identityOf, type RequestIdentity } from './request-identity.js';
import type { RequestState } from './request-record-codec.js';
import {
  acceptJobScript,
  beginReconciliationScript,
  beginSubmissionScript,
  findWritesInDoubtScript,
  requeueSubmissionScript,
  type submissionVerdicts,
} from './request-scripts.js';
import type { RequestStoreContext } from './request-store-context.js';
import { limiterWindow, type TargetLimits } from './target-limiter.js';

/** What a submission asks of `begin`. */
export interface SubmissionRequest {
  target: string;
  limits: TargetLimits;
  /** Lease id of the call slot taken with `claimed`. */
  leaseId: string;
  /** Claim token of a submission. */
  token: string;
  /** How long a submission claim holds before it counts as interrupted. */
  claimLeaseMs: number;
  /** Whether an interrupted submission may be claimed anew. */
  allowResubmit: boolean;
  /** Slot lease of the submission call. */
  submitLeaseMs: number;
  /**
   * A write (not a GET): its claim puts it among its target's writes in doubt, with `writeObject` (the
   * identity of the object it creates, '' for none reconciliation can look up).
   */
  write?: { object: string };
}

/** A span of Redis time, in ms. */
export interface TimeSpan {
  from: number;
  to: number;
}

/** Another write to the same target that may have reached AIQUM unanswered, and when. */
export interface WriteInDoubt extends TimeSpan {
  requestId: string;
  /** The identity of the object it creates; '' when it names none. */
  object: string;
}

/** The request a job belongs to, and when the write AIQUM answered with it was sent (see accept-job.lua). */
export interface JobOwner {
  requestId: string;
  /** From the write's claim to its answer (Redis time); absent for a job reconciliation found. */
  sent?: TimeSpan;
}

const jobOwnerSchema = z.object({
  requestId: z.string().min(1),
  sent: z.object({ from: z.number(), to: z.number() }).optional(),
});

/** An owner record; one written before owners kept `sent` is the request id alone. */
function parseJobOwner(stored: string): JobOwner {
  if (!stored.startsWith('{')) return { requestId: stored };
  const { requestId, sent } = jobOwnerSchema.parse(JSON.parse(stored));
  return sent ? { requestId, sent } : { requestId };
}

/** What the call left behind when a claim is given back (see requeue-submission.lua). */
export type RequeueDoubt = '' | 'record' | 'keep' | 'settle';

/**
 * How a submission begins: `claimed` (submit now) holds a call slot; `busy` and `limited` come with
 * `ms` to wait; `interrupted` is a claim whose worker died mid-call; `tracking` is for the pollers.
 */
export interface SubmissionStart {
  verdict: (typeof submissionVerdicts)[number];
  submitAttempts: number;
  ms: number;
  /** Redis's time of the call. */
  now: number;
  state: Omit<RequestState, 'status'>;
  /** With `claimed`: the request is being reconciled; when its write was in doubt, and the error seen then. */
  reconciling?: TimeSpan & { error?: RequestError };
}

/** The submission state machine: queued → submitting (a claim) → queued again, or tracking. */
export class Submissions {
  readonly #context: RequestStoreContext;

  constructor(context: RequestStoreContext) {
    this.#context = context;
  }

  /**
   * Begins a request's submission in one command: its state, a call slot on its target, and for a
   * submission the claim (see the script for every verdict).
   */
  async begin(requestId: string, submission: SubmissionRequest): Promise<SubmissionStart> {
    const { keys } = this.#context;
    const { windowMs, callsPerWindow } = limiterWindow(submission.limits);
    const reply = await this.#context.scripts.run(beginSubmissionScript, {
      keys: {
        request: keys.request(requestId),
        inFlight: keys.targetInFlight(submission.target),
        recent: keys.targetRecentCalls(submission.target),
        doubt: keys.targetWritesInDoubt(submission.target),
      },
      args: {
        token: submission.token,
        claimLeaseMs: submission.claimLeaseMs,
        allowResubmit: submission.allowResubmit ? '1' : '0',
        submitLeaseMs: submission.submitLeaseMs,
        maxConcurrent: submission.limits.maxConcurrent,
        callsPerWindow,
        windowMs,
        leaseId: submission.leaseId,
        requestId,
        isWrite: submission.write ? '1' : '0',
        writeObject: submission.write?.object ?? '',
        doubtKeepMs: this.#context.retentionSeconds * 1000,
      },
    });
    this.#context.clock.observe(reply.now);
    const { verdict, submitAttempts, ms, now, state, reconciling } = reply;
    return {
      verdict,
      submitAttempts,
      ms,
      now,
      state,
      ...(reconciling ? { reconciling: withoutUnset(reconciling) } : {}),
    };
  }

  /**
   * submitting → queued by the claim holder; `doubt` says what the call left behind: '' (it provably never
   * reached AIQUM), 'record' (it may have, and the request resends such writes), 'keep' (a reconciliation
   * that looks again later), 'settle' (reconciliation proved it never reached AIQUM).
   */
  async requeue(
    spec: { requestId: string; target: string },
    token: string,
    slot?: CallSlot,
    doubt: RequeueDoubt = '',
  ): Promise<string> {
    const { keys } = this.#context;
    return this.#context.scripts.run(requeueSubmissionScript, {
      keys: {
        request: keys.request(spec.requestId),
        doubt: keys.targetWritesInDoubt(spec.target),
        ...slotKeys(keys, slot),
      },
      args: { token, leaseId: slot?.leaseId ?? '', doubt, requestId: spec.requestId },
    });
  }

  /**
   * submitting → queued, reconciling: by the claim holder (`token`) whose write failed in a way that may have
   * reached AIQUM (`error`: the client's; `httpStatus` in it when AIQUM answered at all), or with no token for
   * a claim whose worker died mid-call. Answers the status after the call and when the write was in doubt.
   */
  async beginReconciliation(
    spec: { requestId: string; target: string },
    holder: { token: string; slot: CallSlot; error: RequestError } | undefined,
  ): Promise<{ status: string; window?: TimeSpan; now: number }> {
    const { keys } = this.#context;
    const reply = await this.#context.scripts.run(beginReconciliationScript, {
      keys: {
        request: keys.request(spec.requestId),
        doubt: keys.targetWritesInDoubt(spec.target),
        ...slotKeys(keys, holder?.slot),
      },
      args: {
        token: holder?.token ?? '',
        leaseId: holder?.slot.leaseId ?? '',
        requestId: spec.requestId,
        doubtError: holder ? JSON.stringify(holder.error) : '',
        answered: holder?.error.httpStatus === undefined ? '0' : '1',
      },
    });
    this.#context.clock.observe(reply.now);
    const { status, from, to, now } = reply;
    return from === undefined || to === undefined ? { status, now } : { status, window: { from, to }, now };
  }

  /** The other writes to `target` that may have reached AIQUM unanswered during `span`. */
  async writesInDoubt(target: string, requestId: string, span: TimeSpan): Promise<WriteInDoubt[]> {
    const { keys } = this.#context;
    return this.#context.scripts.run(findWritesInDoubtScript, {
      keys: { doubt: keys.targetWritesInDoubt(target) },
      args: { requestKeyPrefix: keys.request(''), self: requestId, from: span.from, to: span.to },
    });
  }

  /** The request each AIQUM job key belongs to, when one is recorded (in `jobKeys` order). */
  async jobOwners(target: string, jobKeys: readonly string[]): Promise<Array<JobOwner | undefined>> {
    if (jobKeys.length === 0) return [];
    const { keys, redis } = this.#context;
    const owners = await redis.mget(...jobKeys.map((jobKey) => keys.jobOwner(target, jobKey)));
    return owners.map((owner) => (owner === null ? undefined : parseJobOwner(owner)));
  }

  /**
   * submitting → tracking by the claim holder, with `request.accepted` (submitted at Redis's time); releases
   * the call slot and schedules the first poll.
   */
  async acceptJob(
    spec: RequestIdentity & { attempt?: number | undefined },
    job: JobRef,
    token: string,
    slot: CallSlot | undefined,
    firstPoll: NextPoll,
    resolved: readonly ResolvedReference[] = [],
    reconciled = false,
  ): Promise<string> {
    const { keys } = this.#context;
    const event: Omit<RequestAcceptedEvent, 'occurredAt'> = {
      id: eventIds.requestAccepted(spec.requestId, spec.attempt),
      type: 'request.accepted',
      ...identityOf(spec),
      job,
      ...(spec.attempt === undefined ? {} : { attempt: spec.attempt }),
      ...(resolved.length > 0 ? { resolved: [...resolved] } : {}),
    };
    return this.#context.scripts.run(acceptJobScript, {
      keys: {
        request: keys.request(spec.requestId),
        events: keys.events,
        due: keys.targetDue(spec.target),
        ...slotKeys(keys, slot),
        ...(spec.batchId ? { batch: keys.batch(spec.batchId) } : {}),
        ...(job.kind === 'aiqum' ? { owner: keys.jobOwner(spec.target, job.key) } : {}),
      },
      args: {
        job: JSON.stringify(job),
        event: JSON.stringify(event),
        token,
        leaseId: slot?.leaseId ?? '',
        firstPollDelayMs: Math.round(firstPoll.delayMs),
        deadlineAt: firstPoll.deadlineAt,
        requestId: spec.requestId,
        resolved: resolved.length > 0 ? JSON.stringify(resolved) : '',
        dueChannel: keys.dueChanges,
        target: spec.target,
        hasBatch: spec.batchId ? '1' : '0',
        hasOwner: job.kind === 'aiqum' ? '1' : '0',
        retentionSeconds: this.#context.retentionSeconds,
        reconciled: reconciled ? '1' : '0',
      },
    });
  }
}

/** The reconciliation's error without the unset field cjson spells as null or false. */
function withoutUnset(reconciling: TimeSpan & { error?: RequestError | undefined }): TimeSpan & {
  error?: RequestError;
} {
  const { from, to, error } = reconciling;
  return error ? { from, to, error } : { from, to };
}
