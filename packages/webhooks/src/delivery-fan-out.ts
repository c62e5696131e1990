import type { AiqumJobsEvent } from '@aiqum-jobs/contracts';
import type { Queue } from 'bullmq';
import { type DeliveryPayload, deliveryIdOf, deliveryJobName, deliveryJobOptions } from './delivery-queue.js';
import { subscriptionMatches } from './subscription.js';
import type { SubscriptionSource } from './subscription-cache.js';

export interface DeliveryFanOutOptions {
  /** A `SubscriptionStore`, or a `SubscriptionCache` of it where `enqueueDeliveries` runs often. */
  subscriptions: SubscriptionSource;
  /** The delivery queue (`createDeliveryQueue`), owned by the caller. */
  queue: Queue;
  /** Attempts of each delivery before it is dead-lettered. */
  maxAttempts: number;
  /** How long dead letters are kept, in seconds. */
  retentionSeconds: number;
}

/**
 * Turns events into deliveries: one queue job per subscription an event matches. Fed by a consumer group
 * on the events stream (for each read, `enqueueDeliveries(...events)`, then acknowledge), it gives every
 * matching subscription each event at least once: an event handed out again after a crash is added again
 * under the same job ids, which adds nothing new.
 */
export class DeliveryFanOut {
  readonly #subscriptions: SubscriptionSource;
  readonly #queue: Queue;
  readonly #jobOptions: ReturnType<typeof deliveryJobOptions>;

  constructor(options: DeliveryFanOutOptions) {
    this.#subscriptions = options.subscriptions;
    this.#queue = options.queue;
    this.#jobOptions = deliveryJobOptions(options);
  }

  /**
   * Enqueues the events' deliveries, with one list of the subscriptions and one `addBulk` for them all
   * (none when no subscription matches); returns their ids.
   */
  async enqueueDeliveries(...events: AiqumJobsEvent[]): Promise<string[]> {
    const subscriptions = await this.#subscriptions.list();
    const jobs = events.flatMap((event) =>
      subscriptions
        .filter((subscription) => subscriptionMatches(subscription, event))
        .map((subscription) => {
          const data: DeliveryPayload = { subscriptionId: subscription.id, event };
          const jobId = deliveryIdOf(subscription.id, event.id);
          return { name: deliveryJobName, data, opts: { ...this.#jobOptions, jobId } };
        }),
    );
    if (jobs.length === 0) return [];
    await this.#queue.addBulk(jobs);
    return jobs.map((job) => job.opts.jobId);
  }
}
