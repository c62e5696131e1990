import {
  eventIds,
  type JobRef,
  type RequestAcceptedEvent,
  type ResolvedReference,
} from '@aiqum-jobs/contracts';
import { type CallSlot, slotKeys } from './call-slot.js';
import type { NextPoll } from './poll-schedule.js';
import { identityOf, type RequestIdentity } from './request-identity.js';
import type { RequestState } from './request-record-codec.js';
import {
  acceptJobScript,
  beginSubmissionScript,
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
}

/**
 * How a submission begins: `claimed` (submit now) holds a call slot; `busy` and `limited` come with
 * `ms` to wait; `interrupted` is a claim whose worker died mid-call; `tracking` is for the pollers.
 */
export interface SubmissionStart {
  verdict: (typeof submissionVerdicts)[number];
  submitAttempts: number;
  ms: number;
  state: Omit<RequestState, 'status'>;
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
    const { verdict, submitAttempts, ms, now, state } = await this.#context.scripts.run(
      beginSubmissionScript,
      {
        keys: {
          request: keys.request(requestId),
          inFlight: keys.targetInFlight(submission.target),
          recent: keys.targetRecentCalls(submission.target),
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
        },
      },
    );
    this.#context.clock.observe(now);
    return { verdict, submitAttempts, ms, state };
  }

  /** submitting → queued by the claim holder, for a submission that provably never reached AIQUM. */
  async requeue(requestId: string, token: string, slot?: CallSlot): Promise<string> {
    const { keys } = this.#context;
    return this.#context.scripts.run(requeueSubmissionScript, {
      keys: { request: keys.request(requestId), ...slotKeys(keys, slot) },
      args: { token, leaseId: slot?.leaseId ?? '' },
    });
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
      },
    });
  }
}
