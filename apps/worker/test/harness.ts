import { randomUUID } from 'node:crypto';
import { type Simulator, type SimulatorOptions, startSimulator } from '@aiqum-jobs/aiqum-simulator';
import {
  type AiqumJobsEvent,
  createLogger,
  createRedisKeys,
  eventSchema,
  eventStreamField,
  type Logger,
  pollPolicySchema,
  type RedisKeys,
  type RequestCompletedEvent,
  type RequestSpec,
} from '@aiqum-jobs/contracts';
import { createRequestQueue, RequestStore, Secret, submissionJob, type TargetConfig } from '@aiqum-jobs/core';
import { readEvents, type TestRedis, useTestRedis, waitForEvents } from '@aiqum-jobs/test-support';
import { loadWebhookConfig } from '@aiqum-jobs/webhooks';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Agent, type Dispatcher } from 'undici';
import {
  type AiqumWorker,
  type StartAiqumWorkerOptions,
  startAiqumWorker,
  type WorkerConfig,
} from '../src/index.js';

export interface TargetSetup {
  name: string;
  simulator?: Omit<SimulatorOptions, 'tls'>;
  target?: Partial<Omit<TargetConfig, 'name' | 'url' | 'username' | 'password'>>;
}

export interface Harness {
  redis: Redis;
  keys: RedisKeys;
  store: RequestStore;
  queue: Queue;
  simulators: Map<string, Simulator>;
  logger: Logger;
  config: WorkerConfig;
  startWorker(
    overrides?: Partial<WorkerConfig>,
    options?: Partial<Pick<StartAiqumWorkerOptions, 'now' | 'dispatcher' | 'logger'>>,
  ): Promise<AiqumWorker>;
  /** Stores and enqueues requests as the producer does (`dependsOn` as refs and ids); returns their specs. */
  enqueue(
    requests: Array<Partial<RequestSpec> & Pick<RequestSpec, 'target' | 'method' | 'path'>>,
    batch?: { batchId: string },
  ): Promise<RequestSpec[]>;
  events(): Promise<AiqumJobsEvent[]>;
  completed(): Promise<RequestCompletedEvent[]>;
  waitForCompleted(count: number, timeoutMs?: number): Promise<RequestCompletedEvent[]>;
  close(): Promise<void>;
}

/** A fast poll policy so tests finish quickly; targets may override it. */
export const testPollPolicy = pollPolicySchema.parse({
  initialDelayMs: 100,
  multiplier: 1.5,
  maxDelayMs: 500,
  jitter: 0.1,
  retryAfterMinMs: 100,
  retryAfterMaxMs: 2_000,
});

/**
 * Simulators for `setups` and a Redis; with `ownRedis`, a redis-server of the test's own, whose command
 * counts are then the test's workers' alone.
 */
export async function startHarness(
  setups: TargetSetup[],
  options: { ownRedis?: boolean } = {},
): Promise<Harness> {
  const testRedis: TestRedis = await useTestRedis({ ownServer: options.ownRedis ?? false });
  const redis = testRedis.connect();
  const keys = createRedisKeys(testRedis.prefix);
  const retentionSeconds = 3_600;
  const store = new RequestStore({ redis, keys, retentionSeconds });
  const queue = createRequestQueue({ connection: redis, prefix: testRedis.prefix, retentionSeconds });
  const logger = createLogger({ name: 'worker-test', level: process.env.LOG_LEVEL ?? 'silent' });
  const simulators = new Map<string, Simulator>();
  const targets = new Map<string, TargetConfig>();
  for (const setup of setups) {
    const simulator = await startSimulator({ tls: false, ...setup.simulator });
    simulators.set(setup.name, simulator);
    const user = simulator.users.find((candidate) => candidate.role === 'application_admin');
    if (!user) throw new Error('simulator has no application admin');
    targets.set(setup.name, {
      name: setup.name,
      url: simulator.url,
      username: user.username,
      password: new Secret(user.password),
      insecureTls: false,
      limits: { maxConcurrent: 20, maxPerSecond: 1_000 },
      poll: testPollPolicy,
      defaultDeadlineSeconds: 60,
      nameCacheSeconds: 60,
      timeoutMs: 5_000,
      // The simulator and Redis share this machine's clock.
      clockSkewMs: 100,
      ...setup.target,
    });
  }
  const config: WorkerConfig = {
    redis: { kind: 'server', url: testRedis.url },
    prefix: testRedis.prefix,
    retentionSeconds,
    maxGroupIdleSeconds: 7 * 24 * 3_600,
    targets,
    concurrency: 20,
    health: { host: '127.0.0.1', port: 0 },
    lockMs: 5_000,
    stalledIntervalMs: 1_000,
    shutdownTimeoutMs: 5_000,
    orphanedTargetGraceSeconds: 600,
    logLevel: 'silent',
    webhooks: loadWebhookConfig({}),
  };
  const workers: AiqumWorker[] = [];

  const stream = { key: keys.events, field: eventStreamField, schema: eventSchema };

  return {
    redis,
    keys,
    store,
    queue,
    simulators,
    logger,
    config,
    async startWorker(overrides = {}, options = {}) {
      const worker = await startAiqumWorker({ config: { ...config, ...overrides }, logger, ...options });
      workers.push(worker);
      return worker;
    },
    async enqueue(requests, batch) {
      const now = Date.now();
      const specs: RequestSpec[] = requests.map((request) => ({
        requestId: randomUUID(),
        createdAt: now,
        deadlineAt: now + 60_000,
        retryAmbiguous: false,
        ...(batch ? { batchId: batch.batchId } : {}),
        ...request,
      }));
      await store.records.create(specs, batch);
      // As the producer does: a request with dependencies waits until a completion releases it.
      await queue.addBulk(specs.filter((spec) => spec.dependsOn === undefined).map(submissionJob));
      return specs;
    },
    events: () => readEvents(redis, stream),
    completed: () => readEvents(redis, stream, { types: ['request.completed'] }),
    waitForCompleted: (count, timeoutMs = 20_000) =>
      waitForEvents(redis, stream, { types: ['request.completed'], count, timeoutMs }),
    async close() {
      await Promise.all(workers.map((worker) => worker.close()));
      await queue.close();
      await Promise.all([...simulators.values()].map((simulator) => simulator.close()));
      await testRedis.close();
    },
  };
}

/** A connection pool for the AIQUM clients that notes when each call was sent, to measure the waits between calls. */
export function recordingDispatcher(): {
  dispatcher: Dispatcher;
  sent: Array<{ method: string; path: string; at: number }>;
} {
  const sent: Array<{ method: string; path: string; at: number }> = [];
  const dispatcher = new Agent().compose((dispatch) => (options, handler) => {
    sent.push({ method: options.method, path: options.path, at: Date.now() });
    return dispatch(options, handler);
  });
  return { dispatcher, sent };
}

/** The ids of the clusters a simulator serves through its gateway. */
export async function gatewayClusters(simulator: Simulator): Promise<string[]> {
  const user = simulator.users.find((candidate) => candidate.role === 'application_admin');
  const response = await fetch(`${simulator.url}/api/gateways`, {
    headers: {
      authorization: `Basic ${Buffer.from(`${user?.username}:${user?.password}`).toString('base64')}`,
    },
  });
  const body = (await response.json()) as { records: Array<{ uuid: string }> };
  return body.records.map((record) => record.uuid);
}

export function byRequest(events: RequestCompletedEvent[]): Map<string, RequestCompletedEvent> {
  return new Map(events.map((event) => [event.requestId, event]));
}
