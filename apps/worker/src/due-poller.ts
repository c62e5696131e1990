import { randomUUID } from 'node:crypto';
import type { ClaimedPolls, Logger, RequestStore } from '@aiqum-jobs/core';
import type { RequestProcessor } from './request-processor.js';
import { callLeaseMs, type Target } from './target-clients.js';

/** Longest sleep with nothing due: requests accepted by other workers are seen at least this often. */
const idleCheckMs = 200;
/** Most polls claimed in one command. */
const claimBatch = 50;
/**
 * After a claim that found fewer due polls than it could take, wait this long before the next: polls that
 * come due one after another then share a claim (one command for many), at the cost of starting a poll at
 * most this much after its time.
 */
const claimTickMs = 25;

export interface DuePollerOptions {
  store: RequestStore;
  processor: RequestProcessor;
  target: Target;
  /** Polls of this target in flight at once in this process. */
  capacity: number;
  logger: Logger;
}

/**
 * Tracks one target's Jobs: claims the polls that are due (as many as the target's shared limits and this
 * process's capacity allow, in one command), runs each, and sleeps until the next one is due. A tracked
 * request costs nothing here between polls, and a worker that dies loses its claims to the others when
 * they run out.
 */
export class DuePoller {
  readonly #options: DuePollerOptions;
  readonly #claimMs: number;
  readonly #running = new Set<Promise<void>>();
  #stopping = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: DuePollerOptions) {
    this.#options = options;
    // Longer than the poll can last, so a live poll is never claimed twice.
    this.#claimMs = callLeaseMs(options.target.config, true);
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops claiming and waits for the polls in flight (long polls are aborted by the worker's signal). */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#loop;
    await Promise.allSettled([...this.#running]);
  }

  async #run(): Promise<void> {
    const { store, processor, target, capacity, logger } = this.#options;
    while (!this.#stopping) {
      const free = capacity - this.#running.size;
      if (free <= 0) {
        await this.#sleep(idleCheckMs);
        continue;
      }
      let claimed: ClaimedPolls;
      try {
        claimed = await store.claimPolls(target.config.name, {
          limits: target.config.limits,
          max: Math.min(free, claimBatch),
          claimMs: this.#claimMs,
          leaseMs: this.#claimMs,
          leaseIdPrefix: randomUUID(),
        });
      } catch (error) {
        logger.warn({ target: target.config.name, err: String(error) }, 'cannot claim polls; retrying');
        await this.#sleep(1_000);
        continue;
      }
      if (claimed.claims.length === 0) {
        await this.#sleep(claimed.ms < 0 ? idleCheckMs : Math.min(claimed.ms, idleCheckMs));
        continue;
      }
      const drained = claimed.claims.length < Math.min(free, claimBatch);
      for (const claim of claimed.claims) {
        const poll = processor
          .poll(claim)
          .catch((error: unknown) =>
            // Not even its failure could be recorded: the claim runs out and the poll is tried again then.
            logger.error(
              { requestId: claim.requestId, err: String(error) },
              'could not record a poll that failed inside the worker',
            ),
          )
          .finally(() => {
            this.#running.delete(poll);
            this.#wake?.();
          });
        this.#running.add(poll);
      }
      // A plain pause: polls finishing meanwhile must not cut it short, or claims would not batch.
      if (drained) await new Promise((resolve) => setTimeout(resolve, claimTickMs));
    }
  }

  /** Waits `ms`, or less when woken by a finished poll, a nudge or stop. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.#wake = finish;
    });
  }
}
