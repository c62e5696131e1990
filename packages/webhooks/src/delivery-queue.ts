import { eventSchema, type RedisConnection } from '@aiqum-jobs/contracts';
import { Queue } from 'bullmq';
import { z } from 'zod';
import { subscriptionIdSchema } from './subscription.js';

/** The BullMQ queue of webhook deliveries, beside the request queue under the same prefix. */
export const deliveryQueueName = 'webhooks';

/** The one job name of the queue. */
export const deliveryJobName = 'deliver';

/** The payload of a delivery job: which subscription, and the event to POST to it. */
export const deliveryPayloadSchema = z.object({ subscriptionId: subscriptionIdSchema, event: eventSchema });
export type DeliveryPayload = z.output<typeof deliveryPayloadSchema>;

/**
 * A delivery's id, also its queue job id: one job per (subscription, event), so fanning an event out again
 * adds nothing while the first job is kept. (BullMQ 6 accepts a `:` in a job id when there are exactly two,
 * which subscription ids without `:` and event ids of the form `<id>:<kind>` give.)
 */
export function deliveryIdOf(subscriptionId: string, eventId: string): string {
  return `${subscriptionId}:${eventId}`;
}

/** How long a delivered job is kept, so that an event fanned out again soon after is not sent twice. */
const deliveredKeepSeconds = 3_600;

/** The backoff type the delivery worker's `backoffStrategy` computes (exponential or `Retry-After`). */
export const deliveryBackoffType = 'webhook';

/**
 * Options of every delivery job: `maxAttempts` attempts, then the job stays failed (the dead letter) for
 * the retention.
 */
export function deliveryJobOptions(options: { maxAttempts: number; retentionSeconds: number }) {
  return {
    attempts: options.maxAttempts,
    backoff: { type: deliveryBackoffType },
    removeOnComplete: { age: Math.min(deliveredKeepSeconds, options.retentionSeconds) },
    removeOnFail: { age: options.retentionSeconds },
  };
}

export interface DeliveryQueueOptions {
  connection: RedisConnection;
  /** The deployment's hash-tagged prefix; BullMQ keys become `<prefix>:webhooks:*`. */
  prefix: string;
}

export function createDeliveryQueue(options: DeliveryQueueOptions): Queue {
  return new Queue(deliveryQueueName, {
    connection: options.connection,
    prefix: options.prefix,
    // BullMQ's own event stream is not read: keep it short.
    streams: { events: { maxLen: 1_000 } },
  });
}
