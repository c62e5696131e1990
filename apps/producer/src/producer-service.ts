import { createLogger, createRedisKeys, type Logger } from '@aiqum-jobs/contracts';
import {
  createMetricsRegistry,
  createRequestQueue,
  RedisStateMetrics,
  requestQueueName,
} from '@aiqum-jobs/core';
import {
  createDeliveryQueue,
  DeadLetters,
  deliveryQueueName,
  SubscriptionStore,
  WebhookUrlPolicy,
} from '@aiqum-jobs/webhooks';
import { buildProducerServer, type ProducerServer } from './http-server.js';
import { createProducer, type Producer } from './producer.js';
import type { ProducerConfig } from './producer-config.js';
import { createProducerMetrics } from './producer-metrics.js';
import { createProducerRedis } from './producer-redis.js';

export interface ProducerService extends AsyncDisposable {
  /** Where the API listens, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly server: ProducerServer;
  readonly producer: Producer;
  /** Stops accepting requests, ends event streams, then closes Redis. */
  close(): Promise<void>;
}

export interface ProducerServiceOptions {
  /** @defaultValue a logger named `aiqum-producer` writing to standard output */
  logger?: Logger;
  /** Interval of SSE heartbeat comments. @defaultValue 15000 */
  heartbeatMs?: number;
}

/** Connects Redis, builds the library and the HTTP API on it, and listens. */
export async function startProducerService(
  config: ProducerConfig,
  options: ProducerServiceOptions = {},
): Promise<ProducerService> {
  const logger = options.logger ?? createLogger({ name: 'aiqum-producer' });
  const redis = createProducerRedis(config.shared.redis, {
    commandTimeoutMs: config.redisCommandTimeoutMs,
  });
  const targetNames = [...config.shared.targets.keys()];
  const registry = createMetricsRegistry();
  const metrics = createProducerMetrics(registry, targetNames);
  // The producer's connection already fails fast while Redis is down, as scrapes need.
  const redisState = new RedisStateMetrics({
    registry,
    redis,
    prefix: config.shared.prefix,
    targets: targetNames,
    queues: [requestQueueName, deliveryQueueName],
    logger,
  });
  const producer = createProducer({
    redis,
    prefix: config.shared.prefix,
    retentionSeconds: config.shared.retentionSeconds,
    targets: config.shared.targets,
    logger,
    metrics,
  });
  const keys = createRedisKeys(config.shared.prefix);
  const deliveryQueue = createDeliveryQueue({ connection: redis, prefix: config.shared.prefix });
  // The dashboard's view of the queues; add a queue here to show it in bull-board.
  const dashboardQueues = [
    createRequestQueue({
      connection: redis,
      prefix: config.shared.prefix,
      retentionSeconds: config.shared.retentionSeconds,
    }),
    deliveryQueue,
  ];
  // Queue errors are the connection's errors; each failing call reports its own.
  for (const queue of dashboardQueues) queue.on('error', () => {});
  const webhooks = {
    subscriptions: new SubscriptionStore({
      redis,
      keys,
      configured: config.webhooks.subscriptions,
      urlPolicy: new WebhookUrlPolicy(config.webhooks),
      maxSubscriptions: config.webhooks.maxSubscriptions,
    }),
    deadLetters: new DeadLetters({
      redis,
      keys,
      queue: deliveryQueue,
      retentionSeconds: config.shared.retentionSeconds,
    }),
  };
  const server = buildProducerServer({
    producer,
    webhooks,
    logger,
    apiTokens: config.apiTokens,
    registry,
    metrics,
    metricsToken: config.shared.metricsToken,
    bodyLimitBytes: config.bodyLimitBytes,
    limits: config.limits,
    dashboardQueues,
    ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
  });
  const close = async () => {
    await server.close();
    await Promise.all(dashboardQueues.map((queue) => queue.close()));
    await producer.close();
    await redisState.close();
    // QUIT lets pending replies arrive; a Redis that is down gets a plain disconnect.
    await redis.quit().catch(() => redis.disconnect());
  };
  try {
    const url = await server.listen({ host: config.host, port: config.port });
    logger.info({ url, targets: [...config.shared.targets.keys()] }, 'producer API listening');
    return { url, server, producer, close, [Symbol.asyncDispose]: close };
  } catch (error) {
    await close();
    throw error;
  }
}
