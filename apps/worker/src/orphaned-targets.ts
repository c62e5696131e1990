import { type Logger, type RedisConnection, type RedisKeys, requestEndings } from '@aiqum-jobs/contracts';
import {
  type DependantRelease,
  IntervalLock,
  PeriodicTask,
  type RequestStore,
  type ServedTargets,
  type UnservedTarget,
} from '@aiqum-jobs/core';
import type { WorkerMetrics } from './worker-metrics.js';

/** Requests ended per command round while a target's due set is emptied. */
const endBatch = 100;
/** A heartbeat holds for this many intervals: one late beat is not an outage. */
const heartbeatHoldsIntervals = 3;

export interface OrphanedTargetsOptions {
  redis: RedisConnection;
  keys: RedisKeys;
  served: ServedTargets;
  store: RequestStore;
  /** Moves on the dependants of the requests it ends. */
  release: DependantRelease;
  /** The targets this worker serves, advertised at each check. */
  targets: readonly string[];
  /** How long a target may go unserved before its tracked requests end, in seconds. */
  graceSeconds: number;
  metrics: WorkerMetrics;
  logger: Logger;
}

/**
 * Keeps the tracked requests of a target that no worker serves any more from waiting forever. Every worker
 * advertises its targets at each check and shows the tracked requests of targets whose heartbeat ran out in
 * a gauge; one worker per check (a short lock) warns about them and, once a target has gone unserved for the
 * grace period after that, ends them `unknown` with `UNKNOWN_TARGET` through the one completion script.
 */
export class OrphanedTargets {
  readonly #options: OrphanedTargetsOptions;
  /** A tenth of the grace (100 ms to 10 s): the grace is overrun by at most that much. */
  readonly #intervalMs: number;
  readonly #lock: IntervalLock;
  readonly #task: PeriodicTask;

  constructor(options: OrphanedTargetsOptions) {
    this.#options = options;
    this.#intervalMs = Math.min(10_000, Math.max(100, (options.graceSeconds * 1_000) / 10));
    this.#lock = new IntervalLock(options.redis, options.keys.orphanCheckLock, this.#intervalMs);
    this.#task = new PeriodicTask({
      intervalMs: this.#intervalMs,
      run: () => this.check(),
      onError: (error) => options.logger.warn({ err: error }, 'cannot check for targets no worker serves'),
    });
  }

  /** Checks now, then every interval, until `stop()`. A failed check is logged and tried again next time. */
  start(): void {
    this.#task.start();
  }

  /** Stops checking and waits for a check in progress. */
  stop(): Promise<void> {
    return this.#task.stop();
  }

  /** One heartbeat and check. */
  async check(): Promise<void> {
    const { served, targets, metrics } = this.#options;
    await served.heartbeat(targets, this.#intervalMs * heartbeatHoldsIntervals);
    const unserved = await served.unserved();
    metrics.orphanedTrackedRequests.reset();
    for (const { target, tracked } of unserved) metrics.orphanedTrackedRequests.set({ target }, tracked);
    if (unserved.length === 0) return;
    if (!(await this.#lock.take())) return;
    for (const target of unserved) {
      if (target.unservedMs >= this.#options.graceSeconds * 1_000) await this.#end(target);
      else this.#warn(target);
    }
  }

  #warn({ target, tracked, unservedMs }: UnservedTarget): void {
    this.#options.logger.warn(
      {
        target,
        tracked,
        unservedSeconds: Math.round(unservedMs / 1_000),
        graceSeconds: this.#options.graceSeconds,
      },
      'no worker serves this target: its tracked requests end UNKNOWN_TARGET after the grace period unless a worker serves it again',
    );
  }

  async #end({ target, unservedMs }: UnservedTarget): Promise<void> {
    const { store, release, graceSeconds, metrics, logger } = this.#options;
    const ending = requestEndings.targetNotServed(target, Math.round(unservedMs / 1_000), graceSeconds);
    let ended = 0;
    for (;;) {
      const ids = await store.schedule.trackedRequestIds(target, endBatch);
      if (ids.length === 0) break;
      const views = await store.records.getMany(ids);
      await Promise.all(
        ids.map(async (requestId, index) => {
          const view = views[index];
          if (!view) return store.schedule.untrack(target, requestId);
          const { result, released } = await store.completion.completeReleasing(
            view,
            { job: view.job, dialect: view.dialect, submittedAt: view.submittedAt, resolved: view.resolved },
            { ...ending, ...(view.jobState ? { jobState: view.jobState } : {}) },
          );
          if (result === 'completed') {
            ended += 1;
            metrics.requestsCompleted.inc({ outcome: ending.outcome, target });
          }
          await release.release(released);
        }),
      );
    }
    metrics.orphanedTrackedRequests.remove({ target });
    logger.error(
      { target, ended, unservedSeconds: Math.round(unservedMs / 1_000), graceSeconds },
      'ended the tracked requests of a target no worker serves',
    );
  }
}
