import { createRedisKeys, type Logger, type RedisConnection, type RedisKeys } from '@aiqum-jobs/contracts';
import { Queue } from 'bullmq';
import { Gauge, type Registry } from 'prom-client';
import { z } from 'zod';
import { LuaScript, readLuaFile } from './lua-script.js';
import { requestQueueName } from './request-queue.js';
import { readStreamGroups } from './stream-groups.js';

/** Queue job states reported by `aiqum_jobs_queue_jobs`. */
const queueStates = ['waiting', 'delayed', 'active', 'failed'] as const;

/**
 * Most entries counted for a consumer group whose lag Redis cannot report: counting reads the entries, so
 * a scrape stays cheap however far a group is behind, and a larger lag is reported as this.
 */
const maxCountedLag = 10_000;

const countEntriesAfter = new LuaScript({
  body: readLuaFile(new URL('./lua/count-entries-after.lua', import.meta.url)),
  keys: ['stream'],
  args: ['afterId', 'limit'],
  reply: z.number().int(),
});

export interface RedisStateMetricsOptions {
  registry: Registry;
  /**
   * Connection the scrapes read on. It must fail fast while Redis is down (no offline queue, a command
   * timeout), so that a scrape then answers at once with what is known.
   */
  redis: RedisConnection;
  /** The deployment's hash-tagged key prefix. */
  prefix: string;
  /** Configured target names: the label values of `aiqum_jobs_requests_tracked`. */
  targets: readonly string[];
  /** The BullMQ queues whose depths `aiqum_jobs_queue_jobs` reports. @defaultValue the requests queue */
  queues?: readonly string[];
  logger: Logger;
}

/** What one scrape read from Redis. */
interface RedisState {
  tracked: ReadonlyMap<string, number>;
  /** Job counts by queue, then by state. */
  jobs: ReadonlyMap<string, Readonly<Record<string, number>>>;
  streamEntries: number;
  groupLags: ReadonlyMap<string, number>;
}

/**
 * Gauges of the deployment's state in Redis, read when scraped: requests tracked by target, queue depths,
 * the event stream's length and each consumer group's lag. Every process reports the same values; one
 * scrape reads Redis once for all of them. While Redis does not answer, `aiqum_jobs_redis_up` is 0 and
 * these gauges are left out (never shown as 0), and the scrape still succeeds with everything else.
 */
export class RedisStateMetrics {
  readonly #redis: RedisConnection;
  readonly #keys: RedisKeys;
  readonly #targets: readonly string[];
  readonly #logger: Logger;
  readonly #queues: readonly Queue[];
  #reading: Promise<RedisState | undefined> | undefined;
  #down = false;

  constructor(options: RedisStateMetricsOptions) {
    this.#redis = options.redis;
    this.#keys = createRedisKeys(options.prefix);
    this.#targets = options.targets;
    this.#logger = options.logger;
    // Read only: job counts. Its errors are the connection's, reported by the scrape that meets them.
    this.#queues = (options.queues ?? [requestQueueName]).map((name) => {
      const queue = new Queue(name, { connection: options.redis, prefix: options.prefix });
      queue.on('error', () => {});
      return queue;
    });

    const read = () => this.#read();
    const registers = [options.registry];
    new Gauge({
      name: 'aiqum_jobs_redis_up',
      help: '1 when the last scrape could read the state below from Redis, else 0',
      registers,
      async collect() {
        this.set((await read()) === undefined ? 0 : 1);
      },
    });
    new Gauge({
      name: 'aiqum_jobs_requests_tracked',
      help: 'Requests whose AIQUM job is being tracked now, by target',
      labelNames: ['target'],
      registers,
      async collect() {
        const state = await read();
        clear(this);
        for (const [target, count] of state?.tracked ?? []) this.set({ target }, count);
      },
    });
    new Gauge({
      name: 'aiqum_jobs_queue_jobs',
      help: 'Jobs in a BullMQ queue, by state',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        const state = await read();
        clear(this);
        for (const [queue, counts] of state?.jobs ?? []) {
          for (const [name, count] of Object.entries(counts)) this.set({ queue, state: name }, count);
        }
      },
    });
    new Gauge({
      name: 'aiqum_jobs_event_stream_entries',
      help: 'Entries in the event stream',
      registers,
      async collect() {
        const state = await read();
        clear(this);
        if (state) this.set(state.streamEntries);
      },
    });
    new Gauge({
      name: 'aiqum_jobs_event_stream_group_lag',
      help: `Entries of the event stream not yet delivered to a consumer group (counted up to ${maxCountedLag} when Redis cannot tell)`,
      labelNames: ['group'],
      registers,
      async collect() {
        const state = await read();
        clear(this);
        for (const [group, lag] of state?.groupLags ?? []) this.set({ group }, lag);
      },
    });
  }

  /** Closes the queue handles; the connection is the caller's. */
  async close(): Promise<void> {
    await Promise.all(this.#queues.map((queue) => queue.close()));
  }

  /** The gauges of one scrape are collected together: they share one read. */
  #read(): Promise<RedisState | undefined> {
    this.#reading ??= this.#readRedis().finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }

  async #readRedis(): Promise<RedisState | undefined> {
    try {
      const [tracked, jobs, streamEntries, groupLags] = await Promise.all([
        Promise.all(
          this.#targets.map(
            async (target) => [target, await this.#redis.zcard(this.#keys.targetDue(target))] as const,
          ),
        ),
        Promise.all(
          this.#queues.map(async (queue) => [queue.name, await queue.getJobCounts(...queueStates)] as const),
        ),
        this.#redis.xlen(this.#keys.events),
        this.#groupLags(),
      ]);
      if (this.#down) this.#logger.info('metrics read Redis again');
      this.#down = false;
      return { tracked: new Map(tracked), jobs: new Map(jobs), streamEntries, groupLags };
    } catch (error) {
      // Once per outage: scrapes come every few seconds.
      if (!this.#down) {
        this.#logger.warn(
          { err: error },
          'metrics cannot read Redis; its gauges are left out until it answers',
        );
      }
      this.#down = true;
      return undefined;
    }
  }

  async #groupLags(): Promise<Map<string, number>> {
    const stream = this.#keys.events;
    const lags = new Map<string, number>();
    for (const group of await readStreamGroups(this.#redis, stream)) {
      const lag =
        group.lag ??
        (await countEntriesAfter.run(this.#redis, {
          keys: { stream },
          args: { afterId: group['last-delivered-id'], limit: maxCountedLag },
        }));
      lags.set(group.name, lag);
    }
    return lags;
  }
}

/** Empties a gauge before a scrape fills it, its unlabelled value too: unknown is left out, not 0. */
function clear(gauge: Gauge<string>): void {
  gauge.reset();
  gauge.remove({});
}
