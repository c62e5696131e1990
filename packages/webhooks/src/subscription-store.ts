import { randomBytes, randomUUID } from 'node:crypto';
import { eventTypes, type RedisConnection, type RedisKeys } from '@aiqum-jobs/contracts';
import { LuaScript, readLuaFile, Secret } from '@aiqum-jobs/core';
import { z } from 'zod';
import { type Subscription, type SubscriptionInput, storedSubscriptionSchema } from './subscription.js';
import type { WebhookUrlPolicy } from './url-policy.js';

export interface SubscriptionStoreOptions {
  redis: RedisConnection;
  keys: RedisKeys;
  /** Subscriptions of the configuration file: listed with the others, never changed through the store. */
  configured: readonly Subscription[];
  /** Checks the URL of every subscription made through the store. */
  urlPolicy: WebhookUrlPolicy;
  /** Subscriptions the API may hold (those of the configuration file not counted). @defaultValue 100 */
  maxSubscriptions?: number;
  /** @defaultValue `Date.now` */
  now?: () => number;
}

export type DeleteResult = 'deleted' | 'not-found' | 'configured';

/** Thrown by `create` when the API's subscriptions are at `maxSubscriptions`: delete one first. */
export class SubscriptionLimitError extends Error {
  override readonly name = 'SubscriptionLimitError';
  readonly max: number;

  constructor(max: number) {
    super(`there are ${max} subscriptions already, the most allowed (WEBHOOK_MAX_SUBSCRIPTIONS)`);
    this.max = max;
  }
}

/** Stores a subscription unless the hash holds the most allowed already: the count and the write are one step. */
const createScript = new LuaScript({
  body: readLuaFile(new URL('./lua/create-subscription.lua', import.meta.url)),
  keys: ['subscriptions', 'version'],
  args: ['id', 'record', 'maxSubscriptions'],
  reply: z.union([z.literal(0), z.literal(1)]),
});

/**
 * Webhook subscriptions: those of the configuration file, and those made through the API, kept in one
 * Redis hash (id to JSON record). Every change also raises a version counter in the same transaction, so a
 * reader keeping the list (the fan-out) re-reads the whole hash only after a change; that suits tens of
 * subscriptions, not tens of thousands.
 */
export class SubscriptionStore {
  readonly #redis: RedisConnection;
  readonly #keys: RedisKeys;
  readonly #configured: ReadonlyMap<string, Subscription>;
  readonly #urlPolicy: WebhookUrlPolicy;
  readonly #now: () => number;
  readonly #maxSubscriptions: number;

  constructor(options: SubscriptionStoreOptions) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#configured = new Map(options.configured.map((subscription) => [subscription.id, subscription]));
    this.#urlPolicy = options.urlPolicy;
    this.#now = options.now ?? Date.now;
    this.#maxSubscriptions = options.maxSubscriptions ?? 100;
  }

  /**
   * Checks the URL against the allowlist (a `WebhookUrlError` says why it is refused), then stores the
   * subscription with a new id, and a generated secret when the input has none. Throws
   * {@link SubscriptionLimitError} when the store holds `maxSubscriptions` already: every subscription
   * costs each event a delivery, so their number is bounded.
   */
  async create(input: SubscriptionInput): Promise<Subscription> {
    await this.#urlPolicy.check(input.url);
    const record = storedSubscriptionSchema.parse({
      id: randomUUID(),
      url: input.url,
      types: input.types ?? [...eventTypes],
      ...(input.batchId === undefined ? {} : { batchId: input.batchId }),
      secret: input.secret ?? randomBytes(32).toString('base64url'),
      createdAt: new Date(this.#now()).toISOString(),
    });
    const stored = await createScript.run(this.#redis, {
      keys: {
        subscriptions: this.#keys.webhookSubscriptions,
        version: this.#keys.webhookSubscriptionsVersion,
      },
      args: { id: record.id, record: JSON.stringify(record), maxSubscriptions: this.#maxSubscriptions },
    });
    if (stored !== 1) throw new SubscriptionLimitError(this.#maxSubscriptions);
    return subscriptionOfRecord(record);
  }

  async get(id: string): Promise<Subscription | undefined> {
    const configured = this.#configured.get(id);
    if (configured) return configured;
    const json = await this.#redis.hget(this.#keys.webhookSubscriptions, id);
    return json === null ? undefined : subscriptionOfRecord(parseRecord(json));
  }

  /**
   * The version of the subscriptions made through the API: it differs from an earlier answer once one was
   * created or deleted since (null before the first change).
   */
  version(): Promise<string | null> {
    return this.#redis.get(this.#keys.webhookSubscriptionsVersion);
  }

  /** The configured subscriptions first, then those of the API, oldest first. */
  async list(): Promise<Subscription[]> {
    const records = Object.values(await this.#redis.hgetall(this.#keys.webhookSubscriptions))
      .map(parseRecord)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    return [...this.#configured.values(), ...records.map(subscriptionOfRecord)];
  }

  /**
   * Deletes a subscription made through the API with its dead-letter index. Deliveries still queued for it
   * are dropped when their turn comes.
   */
  async delete(id: string): Promise<DeleteResult> {
    if (this.#configured.has(id)) return 'configured';
    const [[, removed] = []] =
      (await this.#redis
        .multi()
        .hdel(this.#keys.webhookSubscriptions, id)
        .del(this.#keys.webhookDeadLetters(id))
        .incr(this.#keys.webhookSubscriptionsVersion)
        .exec()) ?? [];
    return removed === 1 ? 'deleted' : 'not-found';
  }
}

function parseRecord(json: string) {
  return storedSubscriptionSchema.parse(JSON.parse(json));
}

function subscriptionOfRecord(record: ReturnType<typeof parseRecord>): Subscription {
  const { secret, batchId, ...rest } = record;
  return {
    ...rest,
    ...(batchId === undefined ? {} : { batchId }),
    secret: new Secret(secret),
    source: 'api',
  };
}
