import type { Logger } from '@aiqum-jobs/contracts';
import {
  type DeadLetterPage,
  type DeadLetters,
  type DeleteResult,
  type Subscription,
  type SubscriptionInput,
  SubscriptionLimitError,
  type SubscriptionStore,
  WebhookUrlError,
} from '@aiqum-jobs/webhooks';
import { ProducerError, producerErrorCodes } from './producer-error.js';
import { guardStore } from './store-guard.js';

/**
 * The subscriptions and dead letters as the HTTP API uses them: every call goes through the same storage
 * guard as the {@link Producer}'s, so a Redis outage answers 503 `STORE_UNAVAILABLE` here too.
 */
export class WebhookService {
  readonly #subscriptions: SubscriptionStore;
  readonly #deadLetters: DeadLetters;
  readonly #logger: Logger;

  constructor(webhooks: { subscriptions: SubscriptionStore; deadLetters: DeadLetters }, logger: Logger) {
    this.#subscriptions = webhooks.subscriptions;
    this.#deadLetters = webhooks.deadLetters;
    this.#logger = logger;
  }

  /**
   * A URL the allowlist refuses is the caller's mistake: a validation error that says why. A full store is
   * a conflict with its state: deleting a subscription makes room.
   */
  create(input: SubscriptionInput): Promise<Subscription> {
    return this.#guard('createSubscription', async () => {
      try {
        return await this.#subscriptions.create(input);
      } catch (error) {
        if (error instanceof SubscriptionLimitError) {
          throw new ProducerError(producerErrorCodes.subscriptionLimit, error.message, {
            details: { maxSubscriptions: error.max },
          });
        }
        if (!(error instanceof WebhookUrlError)) throw error;
        throw new ProducerError(producerErrorCodes.validationFailed, `url: ${error.message}`, {
          issues: [{ path: 'url', message: error.message }],
        });
      }
    });
  }

  list(): Promise<Subscription[]> {
    return this.#guard('listSubscriptions', () => this.#subscriptions.list());
  }

  get(id: string): Promise<Subscription | undefined> {
    return this.#guard('getSubscription', () => this.#subscriptions.get(id));
  }

  delete(id: string): Promise<DeleteResult> {
    return this.#guard('deleteSubscription', () => this.#subscriptions.delete(id));
  }

  deadLetters(id: string, page: { offset: number; limit: number }): Promise<DeadLetterPage> {
    return this.#guard('listDeadLetters', () => this.#deadLetters.list(id, page));
  }

  replay(id: string, deliveryId: string): Promise<boolean> {
    return this.#guard('replayDeadLetter', () => this.#deadLetters.replay(id, deliveryId));
  }

  #guard<T>(operation: string, action: () => Promise<T>): Promise<T> {
    return guardStore(operation, this.#logger, action);
  }
}
