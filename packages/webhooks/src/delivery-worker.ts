import { createRedisKeys, type Logger, type RedisConnection } from '@aiqum-jobs/contracts';
import { type Job, Worker } from 'bullmq';
import type { Dispatcher } from 'undici';
import { DeadLetters } from './dead-letters.js';
import { deliveryBackoff } from './delivery-backoff.js';
import { type DeliveryAttemptResult, DeliveryProcessor } from './delivery-processor.js';
import { createDeliveryQueue, deliveryQueueName } from './delivery-queue.js';
import { OriginLimiter } from './origin-limiter.js';
import { SubscriptionStore } from './subscription-store.js';
import { WebhookUrlPolicy } from './url-policy.js';
import { createWebhookAgent } from './webhook-agent.js';
import type { WebhookConfig } from './webhook-config.js';

/** Added to a call's timeout in its origin lease, so a slow answer never outlives the lease. */
const leaseMarginMs = 5_000;
/**
 * How long BullMQ's blocking wait for a delivery lasts before it looks again, in seconds (BullMQ's default:
 * 5). A delivery added wakes it at once; each look costs Redis 7 commands, idle or not.
 */
const idleQueueWaitSeconds = 30;

export interface DeliveryWorkerOptions {
  /** A connection with `maxRetriesPerRequest: null`, owned by the caller (BullMQ duplicates it to block). */
  redis: RedisConnection;
  /** The deployment's hash-tagged key prefix. */
  prefix: string;
  /** How long dead letters are kept, in seconds. */
  retentionSeconds: number;
  config: WebhookConfig;
  logger: Logger;
  /**
   * Replaces the connection pool that applies the URL allowlist to every connection (`createWebhookAgent`);
   * tests inject one. @defaultValue a pool of `config.concurrency` connections per origin
   */
  dispatcher?: Dispatcher;
  /** Aborts the calls in flight, e.g. when the worker stops for good. */
  abortSignal?: AbortSignal;
  /** Called once per delivery attempt with what it came to, e.g. to count them. */
  onAttempt?: (result: DeliveryAttemptResult) => void;
  /** @defaultValue `Date.now` */
  now?: () => number;
}

export interface DeliveryWorker extends AsyncDisposable {
  /** Stops taking deliveries and waits for those in flight (each bounded by its timeout). */
  close(): Promise<void>;
}

/** Starts one process's share of webhook deliveries: a BullMQ worker on the `webhooks` queue. */
export async function startDeliveryWorker(options: DeliveryWorkerOptions): Promise<DeliveryWorker> {
  const { redis, config, logger } = options;
  const keys = createRedisKeys(options.prefix);
  const urlPolicy = new WebhookUrlPolicy(config);
  const queue = createDeliveryQueue({ connection: redis, prefix: options.prefix });
  const dispatcher = options.dispatcher ?? createWebhookAgent(urlPolicy, { connections: config.concurrency });
  const processor = new DeliveryProcessor({
    subscriptions: new SubscriptionStore({ redis, keys, configured: config.subscriptions, urlPolicy }),
    deadLetters: new DeadLetters({ redis, keys, queue, retentionSeconds: options.retentionSeconds }),
    limiter: new OriginLimiter({
      redis,
      keys,
      maxPerOrigin: config.maxPerOrigin,
      leaseMs: config.timeoutMs + leaseMarginMs,
    }),
    dispatcher,
    timeoutMs: config.timeoutMs,
    logger,
    ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
    ...(options.onAttempt ? { onAttempt: options.onAttempt } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const worker = new Worker(deliveryQueueName, (job: Job, token?: string) => processor.process(job, token), {
    connection: redis,
    prefix: options.prefix,
    concurrency: config.concurrency,
    settings: { backoffStrategy: deliveryBackoff(config) },
    drainDelay: idleQueueWaitSeconds,
    autorun: false,
  });
  worker.on('error', (error) => logger.error({ err: error }, 'webhook delivery worker error'));
  void worker
    .run()
    .catch((error: unknown) => logger.error({ err: error }, 'webhook delivery worker stopped'));
  await worker.waitUntilReady();

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      await worker.close();
      await queue.close();
      if (dispatcher !== options.dispatcher) await dispatcher.close();
    })();
    return closed;
  };
  return { close, [Symbol.asyncDispose]: close };
}
