import { hostname } from 'node:os';
import type { RedisConnection } from '@aiqum-jobs/contracts';
import { connectRedis, createRequestQueue } from '@aiqum-jobs/core';
import { waitUntil } from '@aiqum-jobs/test-support';
import type { Queue } from 'bullmq';
import type { PipelineUnderTest } from './pipeline-under-test.js';
import type { ServiceProcess } from './service-process.js';

/** One SIGKILL of a worker that held submissions: what it held, and how long they waited for another worker. */
export interface WorkerKill {
  /** Request ids whose queue jobs the killed worker was running (BullMQ's `processedBy` is its name). */
  inFlight: string[];
  /** Time from the kill until every one of them had left the dead worker (stalled check), in ms. */
  takeoverMs: Promise<number>;
  /** Workers killed to get here: more than 1 when a worker's submissions ended just before its kill. */
  kills: number;
}

/**
 * Kills workers of a pipeline only while they are running submissions, so that every kill hits work in
 * flight, and measures how long that work waits for another worker.
 */
export class WorkerKiller {
  readonly #pipeline: PipelineUnderTest;
  readonly #connection: RedisConnection;
  readonly #queue: Queue;

  constructor(pipeline: PipelineUnderTest) {
    this.#pipeline = pipeline;
    this.#connection = connectRedis(pipeline.redisEndpoint, { maxRetriesPerRequest: null });
    this.#queue = createRequestQueue({
      connection: this.#connection,
      prefix: pipeline.prefix,
      retentionSeconds: 3_600,
    });
  }

  /**
   * The bound on a takeover of docs/CONFIGURATION.md: the dead worker's lock runs out (`WORKER_LOCK_MS`), then the next
   * stalled check (`WORKER_STALLED_INTERVAL_MS`) moves its jobs. It proves the stalled check took them over, not a
   * restart or a timeout, so it allows a second check interval and 5 s for timers late on a loaded two-core machine
   * (CI once measured 6.2 s against 3 s + 1 s): a speed figure belongs in a benchmark, not in this test.
   */
  get takeoverBoundMs(): number {
    const { WORKER_LOCK_MS, WORKER_STALLED_INTERVAL_MS } = this.#pipeline.env;
    return Number(WORKER_LOCK_MS) + 2 * Number(WORKER_STALLED_INTERVAL_MS) + 5_000;
  }

  /** The name the worker process gives BullMQ (apps/worker: host name and pid). */
  static workerName(worker: ServiceProcess): string {
    return `${hostname()}:${worker.pid}`;
  }

  /**
   * Waits until a running worker holds at least `atLeast` submissions, SIGKILLs it, and starts a new worker
   * in its place. The dead worker's jobs stay active in Redis until their lock runs out, so they are read
   * after its exit: exactly the ones it held when it died. A worker whose submissions all ended between
   * the look and the kill is a miss: the next busy worker is killed, up to `maxKills` in all.
   */
  async killBusyWorker(atLeast = 1, maxKills = 5): Promise<WorkerKill> {
    for (let kills = 1; ; kills += 1) {
      const victim = await waitUntil(
        async () => {
          const held = await this.#heldByWorker();
          return this.#pipeline.workers.find(
            (worker) => worker.running && (held.get(WorkerKiller.workerName(worker)) ?? 0) >= atLeast,
          );
        },
        { timeoutMs: 30_000, intervalMs: 20, what: `a worker running ${atLeast} submissions` },
      );
      victim.signal('SIGKILL');
      const killedAt = Date.now();
      await victim.exited;
      const name = WorkerKiller.workerName(victim);
      const inFlight = (await this.#queue.getActive())
        .filter((job) => job.processedBy === name)
        .map((job) => ({ id: job.id ?? '', attemptsStarted: job.attemptsStarted }));
      await this.#pipeline.startWorker();
      if (inFlight.length > 0) {
        return {
          inFlight: inFlight.map((job) => job.id),
          takeoverMs: this.#takeoverMs(inFlight, killedAt),
          kills,
        };
      }
      if (kills >= maxKills) throw new Error(`${kills} workers killed, none while it held a submission`);
    }
  }

  async close(): Promise<void> {
    await this.#queue.close();
    this.#connection.disconnect();
  }

  async #heldByWorker(): Promise<Map<string, number>> {
    const held = new Map<string, number>();
    for (const job of await this.#queue.getActive()) {
      if (job.processedBy) held.set(job.processedBy, (held.get(job.processedBy) ?? 0) + 1);
    }
    return held;
  }

  /** Until each job is no longer active under the same attempt: moved back to wait, or started again. */
  async #takeoverMs(jobs: Array<{ id: string; attemptsStarted: number }>, killedAt: number): Promise<number> {
    return waitUntil(
      async () => {
        const stillHeld = await Promise.all(
          jobs.map(async ({ id, attemptsStarted }) => {
            const job = await this.#queue.getJob(id);
            if (!job) return false;
            return (await job.getState()) === 'active' && job.attemptsStarted === attemptsStarted;
          }),
        );
        return !stillHeld.includes(true) && Date.now() - killedAt;
      },
      { timeoutMs: 120_000, intervalMs: 50, what: "the killed worker's submissions to be taken over" },
    );
  }
}
