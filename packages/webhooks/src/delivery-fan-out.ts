import type { AiqumJobsEvent } from '@aiqum-jobs/core';
import type { Queue } from 'bullmq';
import { type DeliveryPayload, deliveryIdOf, deliveryJobName, deliveryJobOptions } from './delivery-queue.js';
import { subscriptionMatches } from './subscription.js';
import type { SubscriptionStore } from './subscription-store.js';

export interface DeliveryFanOutOptions {
  subscriptions: SubscriptionStore;
  /** The delivery queue (`createDeliveryQueue`), owned by the caller. */
  queue: Queue;
  /** Attempts of each delivery before it is dead-lettered. */
  maxAttempts: number;
  /** How long dead letters are kept, in seconds. */
  retentionSeconds: number;
}

/**
 * Turns events into deliveries: one queue job per subscription an event matches. Fed by a consumer group
 * on the events stream (for each event, `enqueueDeliveries(event)`, then acknowledge), it gives every
 * matching subscription each event at least once: an event handed out again after a crash is added again
 * under the same job ids, which adds nothing new.
 */
export class DeliveryFanOut {
  readonly #subscriptions: SubscriptionStore;
  readonly #queue: Queue;
  readonly #jobOptions: ReturnType<typeof deliveryJobOptions>;

  constructor(options: DeliveryFanOutOptions) {
    this.#subscriptions = options.subscriptions;
    this.#queue = options.queue;
    this.#jobOptions = deliveryJobOptions(options);
  }

  /** Enqueues the event's deliveries; returns their ids. */
  async enqueueDeliveries(event: AiqumJobsEvent): Promise<string[]> {
    const matching = (await this.#subscriptions.list()).filter((subscription) =>
      subscriptionMatches(subscription, event),
    );
    if (matching.length === 0) return [];
    const jobs = matching.map((subscription) => {
      const data: DeliveryPayload = { subscriptionId: subscription.id, event };
      const jobId = deliveryIdOf(subscription.id, event.id);
      return { name: deliveryJobName, data, opts: { ...this.#jobOptions, jobId } };
    });
    await this.#queue.addBulk(jobs);
    return jobs.map((job) => job.opts.jobId);
  }
}
