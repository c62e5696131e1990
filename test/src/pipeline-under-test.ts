import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Simulator, type SimulatorOptions, startSimulator } from '@aiqum-jobs/aiqum-simulator';
import {
  type AiqumJobsEvent,
  type BatchRequestInput,
  createRedisKeys,
  type EventType,
  eventSchema,
  eventStreamField,
  type RedisConnection,
} from '@aiqum-jobs/contracts';
import { connectRedis, type RedisEndpoint } from '@aiqum-jobs/core';
import { createProducer, createProducerRedis, type Producer } from '@aiqum-jobs/producer';
import {
  type EventFilter,
  type OfType,
  RedisCluster,
  RedisServer,
  type RedisServerOptions,
  readEvents,
  waitUntil,
} from '@aiqum-jobs/test-support';
import { type ServiceProcess, startProducerProcess, startWorkerProcess } from './service-process.js';

export interface PipelineOptions {
  /** Worker processes to start. */
  workers: number;
  /** The Redis of the test's own (its port stays the same across restarts). */
  redis?: Omit<RedisServerOptions, 'port' | 'dir'>;
  /** Runs on a three-master Redis Cluster instead of one redis-server (which cannot be restarted then). */
  redisCluster?: boolean;
  simulator?: SimulatorOptions;
  /** Fields of the one target `lab` (limits, poll policy, timeoutMs...). */
  target?: Record<string, unknown>;
  /** Extra environment of every worker (WORKER_LOCK_MS...). */
  workerEnv?: Record<string, string>;
}

/** What the guarantees say of one batch, counted from the event stream and the simulator. */
export interface GuaranteeReport {
  requests: number;
  /** Requests without a `request.completed` event. */
  lost: number;
  /** `request.completed` events beyond the first of a request. */
  duplicateEvents: number;
  /** `batch.completed` events of the batch (exactly 1 is right). */
  batchCompleted: number;
  /** Correlation ids the simulator saw submitted more than once. */
  duplicateSubmissions: number;
  /** Times a request's queue job lost its lock (worker dead or cut off) and was taken over: BullMQ's stalled counter. */
  stalled: number;
  byOutcome: Record<string, number>;
  /** Error codes of the requests that ended `unknown`. */
  unknownCodes: Record<string, number>;
  /** The requests that ended `unknown`. */
  unknownRequestIds: string[];
}

/** What every fault test expects of the report of a batch of `requests`: nothing lost, nothing twice. */
export function guaranteesKept(requests: number): Partial<GuaranteeReport> {
  return { requests, lost: 0, duplicateEvents: 0, batchCompleted: 1, duplicateSubmissions: 0 };
}

/**
 * The whole pipeline with real processes for fault tests: a redis-server of the test's own (restartable on
 * the same port and files) or a Redis Cluster, the simulator over HTTPS, worker processes, and the producer
 * library.
 */
/** When Redis surely could not answer, in epoch ms: measured around the fault, not planned. */
export interface OutageWindow {
  /** Redis was stopped or gone by then. */
  downAt: number;
  /** Redis was not running again before then. */
  upAt: number;
}

export class PipelineUnderTest {
  readonly simulator: Simulator;
  readonly workers: ServiceProcess[] = [];
  /** `aiqum-jobs serve` processes started with `startProducerApi`. */
  readonly producerApis: ServiceProcess[] = [];
  readonly producer: Producer;
  readonly env: Record<string, string>;
  readonly prefix = '{aiqum-jobs}';
  readonly redisEndpoint: RedisEndpoint;
  #redis: RedisServer | RedisCluster;
  readonly #producerRedis: RedisConnection;
  readonly #workDir: string;
  readonly #redisOptions: Omit<RedisServerOptions, 'port' | 'dir'>;

  private constructor(init: {
    redis: RedisServer | RedisCluster;
    simulator: Simulator;
    env: Record<string, string>;
    workDir: string;
    redisOptions: Omit<RedisServerOptions, 'port' | 'dir'>;
  }) {
    this.#redis = init.redis;
    this.redisEndpoint =
      init.redis instanceof RedisCluster
        ? { kind: 'cluster', nodes: init.redis.urls }
        : { kind: 'server', url: init.redis.url };
    this.simulator = init.simulator;
    this.env = init.env;
    this.#workDir = init.workDir;
    this.#redisOptions = init.redisOptions;
    this.#producerRedis = createProducerRedis(this.redisEndpoint, { commandTimeoutMs: 2_000 });
    this.producer = createProducer({
      redis: this.#producerRedis,
      prefix: this.prefix,
      retentionSeconds: 3_600,
      targets: new Map([['lab', { defaultDeadlineSeconds: 600 }]]),
    });
  }

  static async start(options: PipelineOptions): Promise<PipelineUnderTest> {
    const workDir = mkdtempSync(join(tmpdir(), 'aiqum-jobs-faults-'));
    const redisOptions = options.redis ?? {};
    const redis = options.redisCluster
      ? await RedisCluster.start()
      : await RedisServer.start({ ...redisOptions, dir: join(workDir, 'redis') });
    const simulator = await startSimulator({ seed: 1, ...options.simulator });
    const targetsFile = join(workDir, 'targets.json');
    writeFileSync(
      targetsFile,
      JSON.stringify({
        targets: [
          {
            name: 'lab',
            url: simulator.url,
            username: 'admin',
            passwordEnv: 'LAB_PASSWORD',
            ...(simulator.caFile ? { caFile: simulator.caFile } : {}),
            limits: { maxConcurrent: 20, maxPerSecond: 2_000 },
            poll: {
              initialDelayMs: 200,
              multiplier: 1.5,
              maxDelayMs: 2_000,
              retryAfterMinMs: 100,
              retryAfterMaxMs: 5_000,
            },
            timeoutMs: 5_000,
            // The simulator runs on Redis's machine, with its clock: no skew but the rounding to ms.
            clockSkewMs: 5,
            ...options.target,
          },
        ],
      }),
    );
    const env = {
      ...(redis instanceof RedisCluster
        ? { REDIS_CLUSTER_NODES: redis.urls.join(',') }
        : { REDIS_URL: redis.url }),
      AIQUM_TARGETS_FILE: targetsFile,
      LAB_PASSWORD: 'admin123',
      LOG_LEVEL: 'warn',
      WORKER_LOCK_MS: '3000',
      WORKER_STALLED_INTERVAL_MS: '1000',
      ...options.workerEnv,
    };
    const pipeline = new PipelineUnderTest({ redis, simulator, env, workDir, redisOptions });
    for (let index = 0; index < options.workers; index += 1) await pipeline.startWorker();
    return pipeline;
  }

  /** The one redis-server; a pipeline on a cluster has none. */
  get redis(): RedisServer {
    if (this.#redis instanceof RedisCluster) throw new Error('this pipeline runs on a Redis Cluster');
    return this.#redis;
  }

  async startWorker(): Promise<ServiceProcess> {
    const worker = await startWorkerProcess(this.env);
    this.workers.push(worker);
    return worker;
  }

  /** A producer HTTP API process on this pipeline's Redis and target, with `env` added. */
  async startProducerApi(env: Record<string, string> = {}): Promise<ServiceProcess> {
    const api = await startProducerProcess({ ...this.env, ...env });
    this.producerApis.push(api);
    return api;
  }

  /**
   * Kills Redis with SIGKILL and starts it again on the same port with the same files, `downMs` after it
   * died. Returns when Redis was down for sure: from its exit to just before it was started again.
   */
  async restartRedis(downMs = 0): Promise<OutageWindow> {
    const { port, dir } = this.redis;
    this.redis.signal('SIGKILL');
    await this.redis.stopped();
    const downAt = Date.now();
    if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
    const upAt = Date.now();
    this.#redis = await RedisServer.start({ ...this.#redisOptions, port, dir });
    return { downAt, upAt };
  }

  async submitBatch(requests: BatchRequestInput[]): Promise<{ batchId: string; requestIds: string[] }> {
    const answer = await this.producer.submitBatch({ requests });
    return { batchId: answer.batchId, requestIds: answer.requestIds };
  }

  async waitForBatch(batchId: string, timeoutMs: number): Promise<void> {
    await waitUntil(
      async () => {
        try {
          return (await this.producer.getBatch(batchId))?.done || undefined;
        } catch {
          return undefined; // Redis may be down for a moment.
        }
      },
      { timeoutMs, intervalMs: 250, what: `batch ${batchId} to complete` },
    );
  }

  /** The events of the stream that pass `filter` (all by default). */
  async events<Type extends EventType = EventType>(
    filter: EventFilter<Type> = {},
  ): Promise<Array<OfType<AiqumJobsEvent, Type>>> {
    const redis = connectRedis(this.redisEndpoint);
    try {
      const key = createRedisKeys(this.prefix).events;
      return await readEvents(redis, { key, field: eventStreamField, schema: eventSchema }, filter);
    } finally {
      redis.disconnect();
    }
  }

  async report(batchId: string, requestIds: readonly string[]): Promise<GuaranteeReport> {
    const events = await this.events();
    const completedPerRequest = new Map<string, number>();
    const byOutcome: Record<string, number> = {};
    const unknownCodes: Record<string, number> = {};
    const unknownRequestIds: string[] = [];
    let batchCompleted = 0;
    for (const event of events) {
      if (event.type === 'batch.completed' && event.batchId === batchId) batchCompleted += 1;
      if (event.type !== 'request.completed' || event.batchId !== batchId) continue;
      const seen = completedPerRequest.get(event.requestId) ?? 0;
      completedPerRequest.set(event.requestId, seen + 1);
      if (seen > 0) continue;
      byOutcome[event.outcome] = (byOutcome[event.outcome] ?? 0) + 1;
      if (event.outcome === 'unknown') {
        unknownRequestIds.push(event.requestId);
        const code = event.error?.code ?? 'none';
        unknownCodes[code] = (unknownCodes[code] ?? 0) + 1;
      }
    }
    const submissions = this.simulator.stats().submissions;
    const stalled = await this.#stalledCount(requestIds);
    return {
      requests: requestIds.length,
      lost: requestIds.filter((id) => !completedPerRequest.has(id)).length,
      duplicateEvents: [...completedPerRequest.values()].reduce((sum, count) => sum + count - 1, 0),
      batchCompleted,
      duplicateSubmissions: requestIds.filter((id) => (submissions[id] ?? 0) > 1).length,
      stalled,
      byOutcome,
      unknownCodes,
      unknownRequestIds,
    };
  }

  async #stalledCount(requestIds: readonly string[]): Promise<number> {
    const redis = connectRedis(this.redisEndpoint);
    try {
      const pipeline = redis.pipeline();
      for (const id of requestIds) pipeline.hget(`${this.prefix}:requests:${id}`, 'stc');
      const results = (await pipeline.exec()) ?? [];
      return results.reduce((sum, [, count]) => sum + Number(count ?? 0), 0);
    } finally {
      redis.disconnect();
    }
  }

  async close(): Promise<void> {
    try {
      await Promise.all([...this.workers, ...this.producerApis].map((service) => service.stop()));
    } finally {
      // A process killed at its stop deadline fails the close, not the clean-up.
      await this.producer.close();
      this.#producerRedis.disconnect();
      await this.simulator.close();
      await this.#redis.stop();
      rmSync(this.#workDir, { recursive: true, force: true });
    }
  }
}
