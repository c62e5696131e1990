import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BatchRequestInput,
  createRedisKeys,
  type PollPolicy,
  type RedisConnection,
} from '@aiqum-jobs/contracts';
import { createProducer, createProducerRedis, type Producer } from '@aiqum-jobs/producer';
import { freePort, TestProcess } from '@aiqum-jobs/test-support';
import { bins } from './repo-paths.js';

/** The producer library takes batches of at most this many requests. */
const batchLimit = 10_000;

export interface BenchPipelineOptions {
  redisUrl: string;
  simulatorUrl: string;
  workers: number;
  /** WORKER_CONCURRENCY of each worker. */
  concurrency: number;
  limits: { maxConcurrent: number; maxPerSecond: number };
  poll: Partial<PollPolicy>;
  longPoll?: { parameter: string; lastModifiedParameter: string; maxWaitSeconds: number };
  /** Extra `node` flags of the worker processes, e.g. `--cpu-prof`. */
  workerNodeArgs?: string[];
}

/**
 * The worker's heap limit as the Dockerfile and docker-compose.yml run it (see "Running it" in docs/DEPLOYMENT.md):
 * without it V8 lets the heap of a busy worker grow far past what it keeps alive before collecting.
 */
const deployedWorkerNodeArgs = ['--max-old-space-size=192'];

/**
 * The product as deployed: real `aiqum-worker` processes (each with its own event loop and RSS, as in
 * production, and apart from the bench's own work) and the producer library, on a key prefix of its own.
 */
export class BenchPipeline {
  readonly prefix = `{aiqum-bench-${randomBytes(4).toString('hex')}}`;
  readonly eventsKey = createRedisKeys(this.prefix).events;
  readonly workers: TestProcess[] = [];
  readonly producer: Producer;
  readonly producerRedis: RedisConnection;
  readonly #workDir: string;
  readonly #env: Record<string, string>;
  readonly #nodeArgs: string[];
  #closed: Promise<void> | undefined;

  private constructor(options: BenchPipelineOptions) {
    this.#workDir = mkdtempSync(join(tmpdir(), 'aiqum-bench-'));
    const targetsFile = join(this.#workDir, 'targets.json');
    writeFileSync(
      targetsFile,
      JSON.stringify({
        targets: [
          {
            name: 'lab',
            url: options.simulatorUrl,
            username: 'admin',
            passwordEnv: 'LAB_PASSWORD',
            limits: options.limits,
            poll: options.poll,
            ...(options.longPoll ? { longPoll: options.longPoll } : {}),
            timeoutMs: 30_000,
          },
        ],
      }),
    );
    this.#env = {
      REDIS_URL: options.redisUrl,
      AIQUM_JOBS_PREFIX: this.prefix,
      AIQUM_JOBS_RETENTION_SECONDS: '3600',
      AIQUM_TARGETS_FILE: targetsFile,
      LAB_PASSWORD: 'admin123',
      LOG_LEVEL: 'warn',
      WORKER_CONCURRENCY: String(options.concurrency),
    };
    this.#nodeArgs = [...deployedWorkerNodeArgs, ...(options.workerNodeArgs ?? [])];
    // A 10,000-request batch is one large MULTI: give it longer than the API's 5 s on a busy machine.
    this.producerRedis = createProducerRedis(
      { kind: 'server', url: options.redisUrl },
      { commandTimeoutMs: 120_000 },
    );
    this.producer = createProducer({
      redis: this.producerRedis,
      prefix: this.prefix,
      retentionSeconds: 3_600,
      targets: new Map([['lab', { defaultDeadlineSeconds: 3_600 }]]),
    });
  }

  static async start(options: BenchPipelineOptions): Promise<BenchPipeline> {
    const pipeline = new BenchPipeline(options);
    for (let index = 0; index < options.workers; index += 1) await pipeline.startWorker();
    return pipeline;
  }

  async startWorker(): Promise<TestProcess> {
    const port = await freePort();
    const worker = await TestProcess.start({
      name: `aiqum-worker-${this.workers.length + 1}`,
      args: [...this.#nodeArgs, bins.worker],
      env: { ...this.#env, WORKER_HEALTH_PORT: String(port) },
      ready: { url: `http://127.0.0.1:${port}/readyz` },
      readyTimeoutMs: 30_000,
      // Its shutdown timeout, then the CPU profile of a long run to write.
      stopTimeoutMs: 60_000,
    });
    this.workers.push(worker);
    return worker;
  }

  /** Submits through the producer library in batches of at most 10,000. */
  async submit(
    requests: readonly BatchRequestInput[],
  ): Promise<{ batchIds: string[]; requestIds: string[] }> {
    const batchIds: string[] = [];
    const requestIds: string[] = [];
    for (let start = 0; start < requests.length; start += batchLimit) {
      const answer = await this.producer.submitBatch({ requests: requests.slice(start, start + batchLimit) });
      batchIds.push(answer.batchId);
      requestIds.push(...answer.requestIds);
    }
    return { batchIds, requestIds };
  }

  /** Requests of these batches by status, summed (`pending`, `tracking`, `completed`). */
  async byStatus(
    batchIds: readonly string[],
  ): Promise<{ pending: number; tracking: number; completed: number }> {
    const total = { pending: 0, tracking: 0, completed: 0 };
    for (const batchId of batchIds) {
      const batch = await this.producer.getBatch(batchId);
      if (!batch) throw new Error(`batch ${batchId} is missing`);
      total.pending += batch.byStatus.pending;
      total.tracking += batch.byStatus.tracking;
      total.completed += batch.byStatus.completed;
    }
    return total;
  }

  /** Stops the workers (SIGTERM: a CPU profile is written) and the producer; safe to call twice. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await Promise.all(this.workers.map((worker) => worker.stop()));
      await this.producer.close();
      this.producerRedis.disconnect();
      rmSync(this.#workDir, { recursive: true, force: true });
    })();
    return this.#closed;
  }
}
