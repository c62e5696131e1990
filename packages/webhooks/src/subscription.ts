import { type AiqumJobsEvent, type EventType, eventTypeSchema } from '@aiqum-jobs/contracts';
import type { Secret } from '@aiqum-jobs/core';
import { z } from 'zod';

/** Subscription ids go into Redis keys, job ids and URLs: letters, digits, `_` and `-` only. */
export const subscriptionIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "_" or "-"');

/**
 * Where deliveries go: an http(s) URL without credentials. Whether its host may be reached is the
 * allowlist's question ({@link WebhookUrlPolicy}), asked when the subscription is made and at delivery.
 */
export const webhookUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .max(2_048)
  .refine((value) => {
    const url = new URL(value);
    return url.username === '' && url.password === '';
  }, 'must not contain credentials: receivers check the signature instead');

export const eventTypesSchema = z
  .array(eventTypeSchema)
  .min(1, 'list at least one event type, or leave types out for all of them');

const batchIdSchema = z.string().min(1).max(128);

/** The body of `POST /v1/subscriptions`. */
export const subscriptionInputSchema = z
  .object({
    url: webhookUrlSchema,
    /** Event types delivered. @defaultValue every type */
    types: eventTypesSchema.optional(),
    /** Only events of this batch. */
    batchId: batchIdSchema.optional(),
    /** Key of the signatures; generated when left out. Returned only in the answer that creates it. */
    secret: z.string().min(16, 'must be at least 16 characters').max(256).optional(),
  })
  .strict();
export type SubscriptionInput = z.output<typeof subscriptionInputSchema>;

/** A subscription as Redis keeps it (the secret in clear: deliveries need it to sign). */
export const storedSubscriptionSchema = z.object({
  id: subscriptionIdSchema,
  url: webhookUrlSchema,
  types: eventTypesSchema,
  batchId: batchIdSchema.optional(),
  secret: z.string().min(1),
  createdAt: z.iso.datetime({ offset: true }),
});

/** A subscription ready to use: its secret wrapped so that it cannot reach a log. */
export interface Subscription {
  readonly id: string;
  readonly url: string;
  readonly types: readonly EventType[];
  readonly batchId?: string;
  readonly secret: Secret;
  /** When it was made through the API; subscriptions from the configuration file have none. */
  readonly createdAt?: string;
  /** `api`: made with `POST /v1/subscriptions`; `config`: from `WEBHOOKS_FILE`, read-only. */
  readonly source: 'api' | 'config';
}

/** What the API shows of a subscription: everything but the secret. */
export const subscriptionViewSchema = z.object({
  id: z.string(),
  url: z.string(),
  types: z.array(eventTypeSchema).describe('the event types delivered'),
  batchId: z.string().optional().describe('only events of this batch are delivered'),
  createdAt: z.string().optional().describe('when it was made through the API; none for WEBHOOKS_FILE ones'),
  source: z
    .enum(['api', 'config'])
    .describe('`api`: made with `POST /v1/subscriptions`; `config`: from `WEBHOOKS_FILE`, read-only'),
});
export type SubscriptionView = z.output<typeof subscriptionViewSchema>;

export function viewOfSubscription(subscription: Subscription): SubscriptionView {
  const { secret: _secret, types, ...view } = subscription;
  return { ...view, types: [...types] };
}

/** Whether an event goes to a subscription: its type is subscribed to and, with a batch filter, it is of that batch. */
export function subscriptionMatches(subscription: Subscription, event: AiqumJobsEvent): boolean {
  if (!subscription.types.includes(event.type)) return false;
  return subscription.batchId === undefined || subscription.batchId === event.batchId;
}
