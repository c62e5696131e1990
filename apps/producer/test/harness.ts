import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import {
  createLogger,
  createRedisKeys,
  type RedisConnection,
  type RedisKeys,
  type RequestSpec,
} from '@aiqum-jobs/contracts';
import { createMetricsRegistry, createRequestQueue, RequestStore, Secret } from '@aiqum-jobs/core';
import {
  type LogSink,
  logSink,
  lunRequest,
  type RedisServer,
  type TestRedis,
  useTestRedis,
} from '@aiqum-jobs/test-support';
import {
  createDeliveryQueue,
  DeadLetters,
  type Subscription,
  SubscriptionStore,
  type UrlPolicyOptions,
  WebhookUrlPolicy,
} from '@aiqum-jobs/webhooks';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import {
  type ApiToken,
  buildProducerServer,
  createProducer,
  createProducerMetrics,
  createProducerRedis,
  defaultProducerLimits,
  type Producer,
  type ProducerLimits,
  type ProducerServer,
  type ProducerServerOptions,
  unnamedApiTokens,
} from '../src/index.js';

export const testToken = 'test-token-0123456789abcdef';

/** The producer's Redis command timeout: a hung Redis is answered 503 after it. */
export const commandTimeoutMs = 2_000;

export interface Harness {
  testRedis: TestRedis;
  redis: RedisConnection;
  producer: Producer;
  server: ProducerServer;
  store: RequestStore;
  queue: Queue;
  /** The webhook delivery queue. */
  deliveryQueue: Queue;
  /** The subscriptions and dead letters the server was built with. */
  webhooks: ProducerServerOptions['webhooks'];
  keys: RedisKeys;
  logs: LogSink;
  /** Everything a rejected request must leave unchanged. */
  footprint(): Promise<{ jobs: number; events: number; keys: number }>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Unnamed tokens (`token-1`... with every scope) as `PRODUCER_API_TOKENS` gives them. @defaultValue [testToken] */
  apiTokens?: string[];
  /** Named tokens with scopes, after those of `apiTokens`. */
  namedTokens?: ApiToken[];
  targets?: ReadonlyMap<string, { defaultDeadlineSeconds: number }>;
  bodyLimitBytes?: number;
  heartbeatMs?: number;
  testRedis?: TestRedis;
  idempotencyWaitMs?: number;
  /** Clock of dashboard sessions. */
  now?: () => number;
  metricsToken?: string;
  /** The allowlist of webhook URLs. @defaultValue closed: no loopback, no private addresses */
  urlPolicy?: UrlPolicyOptions;
  /** Subscriptions of the configuration file. */
  configuredSubscriptions?: Subscription[];
  /** Caps on streams, rates and slow requests, over the defaults. */
  limits?: Partial<ProducerLimits>;
  /** Entries one follower of `events()` may have waiting. */
  eventsBufferSize?: number;
  /** Subscriptions the API may hold. */
  maxSubscriptions?: number;
}

export const twoTargets = new Map([
  ['lab', { defaultDeadlineSeconds: 600 }],
  ['prod', { defaultDeadlineSeconds: 3600 }],
]);

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const testRedis = options.testRedis ?? (await useTestRedis());
  const redis = createProducerRedis({ kind: 'server', url: testRedis.url }, { commandTimeoutMs });
  if (redis.status !== 'ready') await once(redis, 'ready');
  const logs = logSink();
  const logger = createLogger({ name: 'producer-test', level: 'debug', destination: logs.destination });
  const targets = options.targets ?? twoTargets;
  const registry = createMetricsRegistry();
  const metrics = createProducerMetrics(registry, [...targets.keys()]);
  const producer = createProducer({
    redis,
    prefix: testRedis.prefix,
    retentionSeconds: 3600,
    targets,
    logger,
    metrics,
    eventsBlockMs: 1_000,
    ...(options.eventsBufferSize === undefined ? {} : { eventsBufferSize: options.eventsBufferSize }),
    ...(options.idempotencyWaitMs === undefined ? {} : { idempotencyWaitMs: options.idempotencyWaitMs }),
  });
  const keys = createRedisKeys(testRedis.prefix);
  const inspector = testRedis.connect();
  const store = new RequestStore({ redis: inspector, keys, retentionSeconds: 3600 });
  const queue = createRequestQueue({
    connection: inspector,
    prefix: testRedis.prefix,
    retentionSeconds: 3600,
  });
  const deliveryQueue = createDeliveryQueue({ connection: redis, prefix: testRedis.prefix });
  const webhooks = {
    subscriptions: new SubscriptionStore({
      redis,
      keys,
      configured: options.configuredSubscriptions ?? [],
      urlPolicy: new WebhookUrlPolicy(options.urlPolicy ?? { allowPrivate: false, allowedNetworks: [] }),
      ...(options.maxSubscriptions === undefined ? {} : { maxSubscriptions: options.maxSubscriptions }),
    }),
    deadLetters: new DeadLetters({ redis, keys, queue: deliveryQueue, retentionSeconds: 3600 }),
  };
  const server = buildProducerServer({
    producer,
    webhooks,
    logger,
    apiTokens: [...unnamedApiTokens(options.apiTokens ?? [testToken]), ...(options.namedTokens ?? [])],
    bodyLimitBytes: options.bodyLimitBytes ?? 8 * 1024 * 1024,
    registry,
    metrics,
    // The tests of the limits set theirs; the others (the fuzz test, logins) send far more than a client would.
    limits: {
      ...defaultProducerLimits,
      rateLimitPerMinute: 1_000_000,
      loginRateLimitPerMinute: 1_000_000,
      ...options.limits,
    },
    ...(options.metricsToken === undefined ? {} : { metricsToken: new Secret(options.metricsToken) }),
    dashboardQueues: [queue],
    ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return {
    testRedis,
    redis,
    producer,
    server,
    store,
    queue,
    deliveryQueue,
    webhooks,
    keys,
    logs,
    async footprint() {
      const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
      const jobs = Object.values(counts).reduce((sum, count) => sum + count, 0);
      const events = await inspector.xlen(keys.events);
      const found = await inspector.keys(`${testRedis.prefix}:request:*`);
      return { jobs, events, keys: found.length };
    },
    async close() {
      await server.close();
      await producer.close();
      await queue.close();
      await deliveryQueue.close();
      redis.disconnect();
      await testRedis.close();
    },
  };
}

export const auth = { authorization: `Bearer ${testToken}` };

/** A batch of LUN deletes on target lab, queued; complete its specs to add events to the stream. */
export async function queuedBatch(
  h: Harness,
  count: number,
): Promise<{ batchId: string; specs: RequestSpec[] }> {
  const answer = await h.producer.submitBatch({
    requests: Array.from({ length: count }, (_, index) => ({
      target: 'lab',
      method: 'DELETE',
      path: `/api/storage-provider/luns/lun-${index}`,
    })),
  });
  const views = await h.store.records.getMany(answer.requestIds);
  return { batchId: answer.batchId, specs: views.filter((view) => view !== undefined) };
}

/** The id of the events stream's last entry now; `0-0` when it is empty. */
export async function lastEventId(h: Harness): Promise<string> {
  const [last] = await h.redis.xrevrange(h.keys.events, '+', '-', 'COUNT', 1);
  return last?.[0] ?? '0-0';
}

/** The request most tests send: a LUN create on target lab. */
export const labLun = { target: 'lab', ...lunRequest('lun1') };

/**
 * A test's own redis-server as a {@link TestRedis}, for tests that pause or stop it: its connections
 * swallow the errors of the outage, and closing stops the server.
 */
export function ownTestRedis(redisServer: RedisServer, name: string): TestRedis {
  const connections: Redis[] = [];
  return {
    url: redisServer.url,
    prefix: `{${name}-${randomUUID().slice(0, 8)}}`,
    connect: () => {
      const redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
      redis.on('error', () => {});
      connections.push(redis);
      return redis;
    },
    close: async () => {
      for (const redis of connections) redis.disconnect();
      await redisServer.stop();
    },
  };
}
