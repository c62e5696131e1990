import type { Subscription } from './subscription.js';
import type { SubscriptionStore } from './subscription-store.js';

/** Where the fan-out gets the subscriptions from: the store itself, or a {@link SubscriptionCache} of it. */
export interface SubscriptionSource {
  list(): Promise<Subscription[]>;
}

/**
 * The store's subscriptions, kept in memory and read again only when the store's version changed: one GET
 * per `list()` instead of the whole hash. A subscription whose `create()` returned before `list()` began
 * is in the answer, since its version was raised in the same transaction.
 */
export class SubscriptionCache implements SubscriptionSource {
  readonly #store: SubscriptionStore;
  #cached: { version: string | null; subscriptions: Subscription[] } | undefined;

  constructor(store: SubscriptionStore) {
    this.#store = store;
  }

  async list(): Promise<Subscription[]> {
    // The version is read first: the list read after it is at least that new, never older.
    const version = await this.#store.version();
    if (this.#cached === undefined || this.#cached.version !== version) {
      this.#cached = { version, subscriptions: await this.#store.list() };
    }
    return this.#cached.subscriptions;
  }
}
