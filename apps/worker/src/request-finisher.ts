import type { Logger, RequestSpec, ResolvedReference } from '@aiqum-jobs/contracts';
import type {
  CallSlot,
  Completion,
  DependantRelease,
  RequestState,
  RequestStore,
  TrackedFacts,
} from '@aiqum-jobs/core';
import type { WorkerMetrics } from './worker-metrics.js';

/** What a submission or a poll knows of the request's state: `submissions.begin` reads it, without the status. */
export type KnownState = Omit<RequestState, 'status'> & { resolved?: ResolvedReference[] };

/** How an ending is recorded: under a call slot (and, for a poll that saw the end, counting that poll). */
export type EndingRecording = CallSlot | { slot: CallSlot; countPoll: boolean } | undefined;

export function factsOf(state: KnownState): TrackedFacts {
  return { job: state.job, dialect: state.dialect, submittedAt: state.submittedAt, resolved: state.resolved };
}

/**
 * Ends requests for the submission and poll handlers: through `RequestStore.completion`, which happens once
 * per request however many workers race, counted and logged the same way whichever handler ends it. Then
 * the dependants the completion released are queued or skipped (left to the sweep if this process dies).
 */
export class RequestFinisher {
  readonly #store: RequestStore;
  readonly #release: DependantRelease;
  readonly #logger: Logger;
  readonly #metrics: WorkerMetrics;

  constructor(store: RequestStore, release: DependantRelease, logger: Logger, metrics: WorkerMetrics) {
    this.#store = store;
    this.#release = release;
    this.#logger = logger;
    this.#metrics = metrics;
  }

  async complete(
    spec: RequestSpec,
    facts: TrackedFacts,
    completion: Completion,
    recording: EndingRecording = undefined,
  ): Promise<void> {
    const options = recording === undefined ? {} : 'leaseId' in recording ? { slot: recording } : recording;
    const { result, released } = await this.#store.completion.completeReleasing(
      spec,
      facts,
      completion,
      options,
    );
    if (result === 'completed') {
      this.#metrics.requestsCompleted.inc({ outcome: completion.outcome, target: spec.target });
    }
    const log = { requestId: spec.requestId, batchId: spec.batchId, outcome: completion.outcome, result };
    if (completion.error) this.#logger.info({ ...log, error: completion.error }, 'request completed');
    else this.#logger.info(log, 'request completed');
    await this.#release.release(released);
  }
}
