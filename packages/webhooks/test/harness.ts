import { randomUUID } from 'node:crypto';
import {
  type AiqumJobsEvent,
  createLogger,
  createRedisKeys,
  eventSchema,
  eventStreamField,
  type Logger,
  type RedisKeys,
} from '@aiqum-jobs/contracts';
import { type LogSink, logSink, type TestRedis, useTestRedis } from '@aiqum-jobs/test-support';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  createDeliveryQueue,
  DeadLetters,
  type DeliveryAttemptResult,
  DeliveryFanOut,
  type DeliveryWorker,
  type FanOutConsumer,
  type SubscriptionInput,
  SubscriptionStore,
  startDeliveryWorker,
  startFanOutConsumer,
  type WebhookConfig,
  WebhookUrlPolicy,
} from '../src/index.js';

/** Quick retries, a few attempts, and loopback opened explicitly: the receivers listen on 127.0.0.1. */
export const testWebhookConfig: WebhookConfig = {
  subscriptions: [],
  allowPrivate: false,
  allowedNetworks: ['127.0.0.1/32'],
  maxSubscriptions: 100,
  concurrency: 10,
  maxPerOrigin: 4,
  timeoutMs: 2_000,
  maxAttempts: 3,
  backoffMs: 20,
  maxDelayMs: 2_000,
};

export const retentionSeconds = 3_600;

export interface Harness {
  testRedis: TestRedis;
  redis: Redis;
  keys: RedisKeys;
  queue: Queue;
  logger: Logger;
  /** Everything the workers logged (at debug level). */
  logs: LogSink;
  subscriptions: SubscriptionStore;
  deadLetters: DeadLetters;
  fanOut: DeliveryFanOut;
  subscribe(input: SubscriptionInput): Promise<{ id: string; secret: string }>;
  startWorker(overrides?: Partial<WebhookConfig>): Promise<DeliveryWorker>;
  /** What every attempt of the workers came to, in order. */
  attempts: DeliveryAttemptResult[];
  /** Starts a consumer of the events stream that fans events out, as `aiqum-worker` does. */
  startFanOut(options?: { consumer?: string; claimIdleMs?: number }): FanOutConsumer;
  /** Adds an event to the events stream, as the request store does. */
  appendEvent(event: AiqumJobsEvent): Promise<string>;
  close(): Promise<void>;
}

/** `ownServer`: a Redis of the test's own, whose command counts only this test moves. */
export async function startHarness(
  config: Partial<WebhookConfig> = {},
  options: { ownServer?: boolean } = {},
): Promise<Harness> {
  const testRedis = await useTestRedis(options);
  const redis = testRedis.connect();
  const keys = createRedisKeys(testRedis.prefix);
  const queue = createDeliveryQueue({ connection: redis, prefix: testRedis.prefix });
  const logs = logSink();
  const logger = createLogger({ name: 'webhooks-test', level: 'debug', destination: logs.destination });
  const merged = { ...testWebhookConfig, ...config };
  const subscriptions = new SubscriptionStore({
    redis,
    keys,
    configured: merged.subscriptions,
    urlPolicy: new WebhookUrlPolicy(merged),
  });
  const deadLetters = new DeadLetters({ redis, keys, queue, retentionSeconds });
  const fanOut = new DeliveryFanOut({
    subscriptions,
    queue,
    maxAttempts: merged.maxAttempts,
    retentionSeconds,
  });
  const workers: DeliveryWorker[] = [];
  const fanOuts: FanOutConsumer[] = [];
  const attempts: DeliveryAttemptResult[] = [];
  return {
    testRedis,
    redis,
    keys,
    queue,
    logger,
    logs,
    subscriptions,
    deadLetters,
    fanOut,
    async subscribe(input) {
      const subscription = await subscriptions.create(input);
      return { id: subscription.id, secret: subscription.secret.reveal() };
    },
    async startWorker(overrides = {}) {
      const worker = await startDeliveryWorker({
        redis: testRedis.connect(),
        prefix: testRedis.prefix,
        retentionSeconds,
        config: { ...merged, ...overrides },
        logger,
        onAttempt: (result) => attempts.push(result),
      });
      workers.push(worker);
      return worker;
    },
    attempts,
    startFanOut(options = {}) {
      const fanOut = startFanOutConsumer({
        redis: testRedis.connect(),
        prefix: testRedis.prefix,
        retentionSeconds,
        config: merged,
        consumer: options.consumer ?? 'test-consumer',
        logger,
        ...(options.claimIdleMs === undefined ? {} : { claimIdleMs: options.claimIdleMs }),
      });
      fanOuts.push(fanOut);
      return fanOut;
    },
    async appendEvent(event) {
      return (await redis.xadd(keys.events, '*', eventStreamField, JSON.stringify(event))) ?? '';
    },
    async close() {
      await Promise.all(fanOuts.map((fanOut) => fanOut.close()));
      await Promise.all(workers.map((worker) => worker.close()));
      await queue.close();
      await testRedis.close();
    },
  };
}

/** A valid `request.completed` event of a new request, optionally in a batch. */
export function completedEvent(batchId?: string): AiqumJobsEvent {
  const requestId = randomUUID();
  const at = new Date().toISOString();
  return eventSchema.parse({
    id: `${requestId}:completed`,
    type: 'request.completed',
    occurredAt: at,
    requestId,
    ...(batchId === undefined ? {} : { batchId }),
    target: 'lab',
    method: 'POST',
    path: '/api/storage-provider/luns',
    outcome: 'succeeded',
    jobResults: [{ name: 'lunKey', value: 'lun-1' }],
    createdAt: at,
    finishedAt: at,
    polls: 2,
  });
}

/** A valid `batch.completed` event. */
export function batchCompletedEvent(batchId: string): AiqumJobsEvent {
  const at = new Date().toISOString();
  const counts = {
    succeeded: 1,
    warning: 0,
    partial_failure: 0,
    failed: 0,
    timed_out: 0,
    cancelled: 0,
    unknown: 0,
    skipped: 0,
  };
  return eventSchema.parse({
    id: `${batchId}:completed`,
    type: 'batch.completed',
    occurredAt: at,
    batchId,
    total: 1,
    counts,
    createdAt: at,
    finishedAt: at,
  });
}
