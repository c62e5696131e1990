import { randomUUID } from 'node:crypto';
import type { Logger } from '@aiqum-jobs/contracts';
import type { ClaimedPolls, RequestStore } from '@aiqum-jobs/core';
import type { CallBudget } from './call-budget.js';
import type { PollHandler } from './poll-handler.js';
import { callLeaseMs, type Target } from './target-clients.js';

/**
 * Longest sleep with nothing due or no permit free. A poll scheduled sooner than the target's next one
 * nudges the poller at once (`DueNotices`), and a reconnect of the notices' subscription wakes every poller,
 * so this only bounds a notice lost on a connection that never dropped. Each poller costs Redis one claim
 * (four commands) per idle check: 5 minutes keeps 20 targets under 0.4 commands/s.
 */
export const idleCheckMs = 300_000;
/**
 * Idle checks are spread over the last quarter of the period so that the pollers of many targets and
 * workers, started together, do not claim together.
 */
function idleSleepMs(): number {
  return Math.round(idleCheckMs * (0.75 + 0.25 * Math.random()));
}
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
  polls: PollHandler;
  target: Target;
  /** The process's calls at once, shared with its submissions and its other targets' polls. */
  budget: CallBudget;
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
  #waitingForPermits = false;
  /** Set by a nudge, cleared by the next claim: a nudge during a claim must not be slept through. */
  #nudged = false;
  #loop: Promise<void> | undefined;

  constructor(options: DuePollerOptions) {
    this.#options = options;
    // Longer than the poll can last, so a live poll is never claimed twice.
    this.#claimMs = callLeaseMs(options.target.config, true);
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /**
   * The target's due set may have a poll due sooner than the poller knows of: it claims now (or, without
   * permits, as soon as it has some).
   */
  nudge(): void {
    this.#nudged = true;
    if (!this.#waitingForPermits) this.#wake?.();
  }

  /** Stops claiming and waits for the polls in flight (long polls are aborted by the worker's signal). */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#loop;
    await Promise.allSettled([...this.#running]);
  }

  async #run(): Promise<void> {
    const { store, polls, target, budget, logger } = this.#options;
    // Woken by freed permits only while it has none: other targets' calls ending must not make it claim.
    const stopListening = budget.onFree(() => {
      if (this.#waitingForPermits) this.#wake?.();
    });
    try {
      while (!this.#stopping) await this.#claimAndPoll(store, polls, target, budget, logger);
    } finally {
      stopListening();
    }
  }

  async #claimAndPoll(
    store: RequestStore,
    polls: PollHandler,
    target: Target,
    budget: CallBudget,
    logger: Logger,
  ): Promise<void> {
    // Permits first, so that no claimed poll waits for one: a claim runs out if it is not polled in time.
    const permits = budget.tryAcquire(claimBatch);
    if (permits === 0) {
      this.#waitingForPermits = true;
      await this.#sleep(idleSleepMs());
      this.#waitingForPermits = false;
      return;
    }
    this.#nudged = false;
    let claimed: ClaimedPolls;
    try {
      claimed = await store.schedule.claim(target.config.name, {
        limits: target.config.limits,
        max: permits,
        claimMs: this.#claimMs,
        leaseMs: this.#claimMs,
        leaseIdPrefix: randomUUID(),
      });
    } catch (error) {
      budget.release(permits);
      logger.warn({ target: target.config.name, err: error }, 'cannot claim polls; retrying');
      await this.#sleep(1_000);
      return;
    }
    budget.release(permits - claimed.claims.length);
    if (claimed.claims.length === 0) {
      if (!this.#nudged)
        await this.#sleep(claimed.ms < 0 ? idleSleepMs() : Math.min(claimed.ms, idleSleepMs()));
      return;
    }
    const drained = claimed.claims.length < permits;
    for (const claim of claimed.claims) {
      const poll = polls
        .poll(claim)
        .catch((error: unknown) =>
          // Not even its failure could be recorded: the claim runs out and the poll is tried again then.
          logger.error(
            { requestId: claim.requestId, err: error },
            'could not record a poll that failed inside the worker',
          ),
        )
        .finally(() => {
          this.#running.delete(poll);
          budget.release();
          this.#wake?.();
        });
      this.#running.add(poll);
    }
    // A plain pause: polls finishing meanwhile must not cut it short, or claims would not batch.
    if (drained) await new Promise((resolve) => setTimeout(resolve, claimTickMs));
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
