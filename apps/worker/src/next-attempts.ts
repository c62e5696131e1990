import type { Logger } from '@aiqum-jobs/contracts';
import { type ClaimedPoll, type RequestStore, submissionJob } from '@aiqum-jobs/core';
import type { Queue } from 'bullmq';

/**
 * Starts the next attempt of a request with a retry policy once its backoff is over: the request waited in
 * its target's due set (holding nothing), a poller claimed it, and here its attempt becomes a queue job of its
 * own. The job is added before the request leaves the due set, under an id made of the request's and the
 * attempt's: a worker that dies in between leaves the entry, which comes due again when the claim runs out,
 * and adding the same job again adds nothing. So an attempt is never lost, and never submitted twice.
 */
export class NextAttempts {
  readonly #store: RequestStore;
  readonly #queue: Queue;
  readonly #logger: Logger;

  constructor(store: RequestStore, queue: Queue, logger: Logger) {
    this.#store = store;
    this.#queue = queue;
    this.#logger = logger;
  }

  async start(claim: ClaimedPoll, attempt: number): Promise<void> {
    const [spec] = await this.#store.records.getSpecs([claim.requestId]);
    if (spec !== undefined) {
      const job = submissionJob({ ...spec, attempt });
      await this.#queue.add(job.name, job.data, job.opts);
      this.#logger.info({ requestId: spec.requestId, attempt, jobId: job.opts.jobId }, 'next attempt queued');
    }
    // A record gone meanwhile (it expired) leaves the due set here too.
    await this.#store.attempts.queued(claim.requestId, attempt, claim.slot);
  }
}
