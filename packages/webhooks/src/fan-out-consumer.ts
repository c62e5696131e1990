import { createRedisKeys, type Logger, type RedisConnection } from '@aiqum-jobs/contracts';
import { type Subscription as EventSubscription, subscribe } from '@aiqum-jobs/subscriber';
import { DeliveryFanOut } from './delivery-fan-out.js';
import { createDeliveryQueue } from './delivery-queue.js';
import { SubscriptionCache } from './subscription-cache.js';
import { SubscriptionStore } from './subscription-store.js';
import { WebhookUrlPolicy } from './url-policy.js';
import type { WebhookConfig } from './webhook-config.js';

/** The consumer group of the events stream that feeds webhook deliveries; every worker is one consumer. */
export const fanOutGroup = 'aiqum-jobs-webhooks';

/** After a failed fan-out, how long to wait before reading the events stream again. */
const restartDelayMs = 1_000;
/** Events read at once: the fan-out of one is quick, so larger reads save round trips. */
const readCount = 100;

export interface FanOutConsumerOptions {
  /** A connection with `maxRetriesPerRequest: null`, owned by the caller. */
  redis: RedisConnection;
  /** The deployment's hash-tagged key prefix. */
  prefix: string;
  /** How long dead letters are kept, in seconds. */
  retentionSeconds: number;
  config: WebhookConfig;
  /**
   * This process's name in the group, stable across its restarts where possible (a host name and pid), so
   * that a restarted process finishes first what it had read.
   */
  consumer: string;
  logger: Logger;
  /**
   * An event read by a consumer that stopped without acknowledging it is taken over after this long, in
   * milliseconds. @defaultValue 60000
   */
  claimIdleMs?: number;
}

export interface FanOutConsumer extends AsyncDisposable {
  /** Stops reading; events being fanned out are finished and acknowledged first. */
  close(): Promise<void>;
}

/**
 * Starts one process's share of the fan-out: a consumer of the group {@link fanOutGroup} that turns every
 * event of the stream into the deliveries of the subscriptions it matches, and acknowledges it only once
 * they are queued. The group starts at the oldest event the stream retains when it is first created.
 */
export function startFanOutConsumer(options: FanOutConsumerOptions): FanOutConsumer {
  const { redis, config, logger } = options;
  const queue = createDeliveryQueue({ connection: redis, prefix: options.prefix });
  const fanOut = new DeliveryFanOut({
    // Read for every batch of events: kept in memory, re-read only after a change.
    subscriptions: new SubscriptionCache(
      new SubscriptionStore({
        redis,
        keys: createRedisKeys(options.prefix),
        configured: config.subscriptions,
        urlPolicy: new WebhookUrlPolicy(config),
      }),
    ),
    queue,
    maxAttempts: config.maxAttempts,
    retentionSeconds: options.retentionSeconds,
  });
  let closing = false;
  let events: EventSubscription | undefined;
  let wake = () => {};

  const run = async () => {
    while (!closing) {
      events = subscribe({
        redis,
        prefix: options.prefix,
        group: fanOutGroup,
        consumer: options.consumer,
        count: readCount,
        logger,
        ...(options.claimIdleMs === undefined ? {} : { claimIdleMs: options.claimIdleMs }),
      });
      try {
        // One read's events are fanned out together, then acknowledged with one XACK.
        for await (const deliveries of events.batches()) {
          await fanOut.enqueueDeliveries(...deliveries.map((delivery) => delivery.event));
        }
      } catch (error) {
        if (closing) break;
        // The read's events stay pending: the next read hands them out again.
        logger.warn({ err: error }, 'webhook fan-out failed; reading the events again');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, restartDelayMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  };
  const running = run().catch((error: unknown) => logger.error({ err: error }, 'webhook fan-out stopped'));

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      wake();
      await events?.close();
      await running;
      await queue.close();
    })();
    return closed;
  };
  return { close, [Symbol.asyncDispose]: close };
}
