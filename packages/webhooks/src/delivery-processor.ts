import type { Logger } from '@aiqum-jobs/contracts';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { Dispatcher } from 'undici';
import type { DeadLetters } from './dead-letters.js';
import { DeliveryRetryError } from './delivery-backoff.js';
import { sendDelivery } from './delivery-call.js';
import { deliveryPayloadSchema } from './delivery-queue.js';
import type { OriginLimiter } from './origin-limiter.js';
import { signWebhook, webhookHeaders } from './signature.js';
import type { SubscriptionStore } from './subscription-store.js';

/**
 * What one delivery attempt came to: `delivered` (the receiver answered 2xx), `failed` (it will be tried
 * again), `dead_lettered` (it failed for the last time and waits for an operator).
 */
export const deliveryAttemptResults = ['delivered', 'failed', 'dead_lettered'] as const;
export type DeliveryAttemptResult = (typeof deliveryAttemptResults)[number];

export interface DeliveryProcessorOptions {
  subscriptions: SubscriptionStore;
  deadLetters: DeadLetters;
  limiter: OriginLimiter;
  /** Sends the calls; its connections must go through the allowlist (`createWebhookAgent`). */
  dispatcher: Dispatcher;
  /** Timeout of one call, in milliseconds. */
  timeoutMs: number;
  logger: Logger;
  /** Aborts the calls in flight, e.g. when the worker stops for good. */
  abortSignal?: AbortSignal;
  /** Called once per attempt with what it came to (not when a delivery waits for a slot, or is dropped). */
  onAttempt?: (result: DeliveryAttemptResult) => void;
  /** @defaultValue `Date.now` */
  now?: () => number;
}

/**
 * Runs one attempt of a delivery job: signs the event, POSTs it within the per-origin limit, and tells
 * BullMQ what comes next. A retryable failure throws `DeliveryRetryError` (BullMQ waits the backoff); the
 * last attempt, or an answer that retrying cannot change, is indexed as a dead letter and fails the job.
 */
export class DeliveryProcessor {
  readonly #options: DeliveryProcessorOptions;
  readonly #now: () => number;

  constructor(options: DeliveryProcessorOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  async process(job: Job, token: string | undefined): Promise<void> {
    const { subscriptions, deadLetters, limiter, logger } = this.#options;
    const parsed = deliveryPayloadSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('the delivery job has no valid payload');
    const { subscriptionId, event } = parsed.data;
    const deliveryId = job.id ?? '';
    const subscription = await subscriptions.get(subscriptionId);
    if (!subscription) {
      logger.info({ deliveryId, subscriptionId }, 'subscription deleted: delivery dropped');
      return;
    }
    // Only the origin is logged: receivers sometimes put a token in the path or the query.
    const { origin } = new URL(subscription.url);
    const leaseId = `${deliveryId}:${token ?? ''}`;
    const waitMs = await limiter.take(origin, leaseId);
    if (waitMs > 0) {
      // Waiting for a slot is not an attempt: the job comes back without using one.
      await job.moveToDelayed(this.#now() + waitMs, token);
      throw new DelayedError();
    }
    const body = JSON.stringify(event);
    const timestamp = Math.floor(this.#now() / 1_000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'aiqum-jobs-webhooks',
      [webhookHeaders.eventId]: event.id,
      [webhookHeaders.timestamp]: String(timestamp),
      [webhookHeaders.signature]: signWebhook({ secret: subscription.secret.reveal(), body, timestamp }),
    };
    const attempt = job.attemptsMade + 1;
    const result = await sendDelivery({
      dispatcher: this.#options.dispatcher,
      url: subscription.url,
      body,
      headers,
      timeoutMs: this.#options.timeoutMs,
      now: this.#now,
      ...(this.#options.abortSignal ? { signal: this.#options.abortSignal } : {}),
    }).finally(() => limiter.release(origin, leaseId));
    const context = { deliveryId, subscriptionId, eventId: event.id, origin, attempt };
    if (result.kind === 'delivered') {
      logger.debug({ ...context, status: result.status }, 'webhook delivered');
      this.#options.onAttempt?.('delivered');
      return;
    }
    const failure = { ...context, status: result.status, reason: result.reason };
    if (result.retryable && attempt < (job.opts.attempts ?? 1)) {
      logger.info(failure, 'webhook delivery failed; it will be retried');
      this.#options.onAttempt?.('failed');
      throw new DeliveryRetryError(result.reason, result.retryAfterMs);
    }
    await deadLetters.record(subscriptionId, deliveryId);
    logger.warn(failure, 'webhook delivery dead-lettered');
    this.#options.onAttempt?.('dead_lettered');
    throw new UnrecoverableError(result.reason);
  }
}
