import {
  batchCompletedEventBase,
  eventIds,
  isoTime,
  type JobRef,
  type JobResult,
  type JobState,
  type jobDialectSchema,
  type RequestCompletedEvent,
  type RequestError,
  type RequestOutcome,
  type ResolvedReference,
  type RetryPolicy,
  requestOutcomes,
} from '@aiqum-jobs/contracts';
import type { z } from 'zod';
import { endedAttempt } from './attempts.js';
import { type CallSlot, slotKeys } from './call-slot.js';
import { identityOf, type RequestIdentity } from './request-identity.js';
import { completeRequestScript, type completeResults } from './request-scripts.js';
import type { RequestStoreContext } from './request-store-context.js';

/** How a request ended, as the code that ends it knows it. */
export interface Completion {
  outcome: RequestOutcome;
  error?: RequestError;
  jobState?: JobState;
  jobResults?: JobResult[];
  response?: unknown;
}

/** What `complete` needs to know of the request besides its identity (from the record or the worker). */
export interface TrackedFacts {
  job?: JobRef | undefined;
  /** The names looked up before the submission, and the keys sent in their place. */
  resolved?: ResolvedReference[] | undefined;
  dialect?: z.output<typeof jobDialectSchema> | undefined;
  submittedAt?: number | undefined;
}

export type CompleteResult = (typeof completeResults)[number];

/** A completion's result, and the dependants it released: the caller queues or skips them (`DependantRelease`). */
export interface CompletionReply {
  result: CompleteResult;
  /** Ids of the waiting requests of its batch that this completion made ready to queue, or to skip. */
  released: string[];
}

/** The terminal transition of a request, from any status. */
export class RequestCompletion {
  readonly #context: RequestStoreContext;

  constructor(context: RequestStoreContext) {
    this.#context = context;
  }

  /**
   * The terminal transition, at Redis's time: outcome, `request.completed`, batch counters and, for the last
   * request of a batch, `batch.completed`, in one atomic step that happens at most once per request. A
   * request with a retry policy gets its last attempt recorded, and every attempt in `request.completed`.
   */
  async complete(
    spec: RequestIdentity & { retry?: RetryPolicy | undefined },
    facts: TrackedFacts,
    completion: Completion,
    options: { slot?: CallSlot; countPoll?: boolean } = {},
  ): Promise<CompleteResult> {
    return (await this.completeReleasing(spec, facts, completion, options)).result;
  }

  /**
   * `complete`, answering also the dependants it released. A caller that drops them leaves them to the
   * periodic sweep of the released set (`DependantRelease.sweep`).
   */
  async completeReleasing(
    spec: RequestIdentity & { retry?: RetryPolicy | undefined },
    facts: TrackedFacts,
    completion: Completion,
    options: { slot?: CallSlot; countPoll?: boolean } = {},
  ): Promise<CompletionReply> {
    const { keys } = this.#context;
    const fields: Record<string, string> = {};
    const event: Omit<RequestCompletedEvent, 'polls' | 'occurredAt' | 'finishedAt'> = {
      id: eventIds.requestCompleted(spec.requestId),
      type: 'request.completed',
      ...identityOf(spec),
      outcome: completion.outcome,
      jobResults: completion.jobResults ?? [],
      createdAt: isoTime(spec.createdAt),
    };
    if (facts.job) event.job = facts.job;
    if (facts.resolved && facts.resolved.length > 0) {
      event.resolved = facts.resolved;
      fields.resolved = JSON.stringify(facts.resolved);
    }
    if (facts.dialect) {
      event.dialect = facts.dialect;
      fields.dialect = facts.dialect;
    }
    if (facts.submittedAt !== undefined) event.submittedAt = isoTime(facts.submittedAt);
    if (completion.jobState) {
      event.jobState = completion.jobState;
      fields.jobState = JSON.stringify(completion.jobState);
    }
    if (completion.jobResults) fields.jobResults = JSON.stringify(completion.jobResults);
    if (completion.error) {
      event.error = completion.error;
      fields.error = JSON.stringify(completion.error);
    }
    if (completion.response !== undefined && completion.response !== null) {
      event.response = completion.response as RequestCompletedEvent['response'];
      fields.response = JSON.stringify(completion.response);
    }
    return this.#context.scripts.run(completeRequestScript, {
      keys: {
        request: keys.request(spec.requestId),
        events: keys.events,
        due: keys.targetDue(spec.target),
        ...slotKeys(keys, options.slot),
        ...(spec.batchId
          ? {
              batch: keys.batch(spec.batchId),
              batchRequests: keys.batchRequests(spec.batchId),
              dependants: keys.requestDependants(spec.requestId),
              released: keys.releasedDependants,
            }
          : {}),
      },
      args: {
        outcome: completion.outcome,
        fields: JSON.stringify(fields),
        event: JSON.stringify(event),
        retentionSeconds: this.#context.retentionSeconds,
        leaseId: options.slot?.leaseId ?? '',
        countPoll: options.countPoll ? '1' : '0',
        requestId: spec.requestId,
        batchEvent: spec.batchId ? JSON.stringify(batchCompletedEventBase(spec.batchId)) : '',
        outcomes: JSON.stringify(requestOutcomes),
        requestKeyPrefix: keys.request(''),
        attempt: spec.retry === undefined ? '' : JSON.stringify(endedAttempt(facts, completion)),
        createdAt: spec.createdAt,
      },
    });
  }
}
