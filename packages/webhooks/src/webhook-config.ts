import { ConfigError, eventTypes } from '@aiqum-jobs/contracts';
import {
  booleanFromEnv,
  commaListFromEnv,
  type Environment,
  type LoadConfigOptions,
  readConfigFile,
  readFileUtf8,
  resolveSecret,
} from '@aiqum-jobs/core';
import { z } from 'zod';
import {
  eventTypesSchema,
  type Subscription,
  subscriptionIdSchema,
  webhookUrlSchema,
} from './subscription.js';
import { parseNetwork } from './url-policy.js';

const webhookEnvSchema = z.object({
  WEBHOOKS_FILE: z.string().min(1).optional(),
  WEBHOOK_ALLOW_PRIVATE: booleanFromEnv.default(false),
  WEBHOOK_ALLOWED_NETWORKS: commaListFromEnv(
    z.string().refine((network) => parseNetwork(network) !== undefined, {
      error: (issue) => `${String(issue.input)} is not a CIDR such as 10.20.0.0/16 or an IP address`,
    }),
  ),
  WEBHOOK_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(1).max(10_000).default(100),
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(20),
  WEBHOOK_MAX_PER_ORIGIN: z.coerce.number().int().min(1).max(1_000).default(4),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(10).max(600_000).default(5_000),
  WEBHOOK_MAX_DELAY_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(24 * 3_600_000)
    .default(3_600_000),
});

/** One subscription of `WEBHOOKS_FILE`, before its secret is resolved. */
const configuredSubscriptionSchema = z
  .object({
    id: subscriptionIdSchema,
    url: webhookUrlSchema,
    types: eventTypesSchema.default([...eventTypes]),
    batchId: z.string().min(1).max(128).optional(),
    /** The secret itself; prefer `secretFile` or `secretEnv` so it stays out of the file. */
    secret: z.string().min(16, 'must be at least 16 characters').optional(),
    secretFile: z.string().min(1).optional(),
    secretEnv: z.string().min(1).optional(),
  })
  .strict()
  .refine(
    (entry) =>
      [entry.secret, entry.secretFile, entry.secretEnv].filter((source) => source !== undefined).length === 1,
    { message: 'set exactly one of secret, secretFile, secretEnv', path: ['secret'] },
  );

const webhooksFileSchema = z
  .object({ subscriptions: z.array(configuredSubscriptionSchema) })
  .strict()
  .refine((file) => new Set(file.subscriptions.map((entry) => entry.id)).size === file.subscriptions.length, {
    message: 'subscription ids must be unique',
    path: ['subscriptions'],
  });

/** Webhooks as configured: the static subscriptions, the URL allowlist and how deliveries are made. */
export interface WebhookConfig {
  /** Subscriptions of `WEBHOOKS_FILE`: listed by the API, but changed only in the file. */
  readonly subscriptions: readonly Subscription[];
  /** Allow loopback and private addresses as webhook hosts. @defaultValue false */
  readonly allowPrivate: boolean;
  /** Networks webhook hosts may be in whatever their kind, as CIDRs or addresses. @defaultValue none */
  readonly allowedNetworks: readonly string[];
  /** Subscriptions `POST /v1/subscriptions` may hold, besides those of `WEBHOOKS_FILE`. @defaultValue 100 */
  readonly maxSubscriptions: number;
  /** Deliveries one worker sends at once. @defaultValue 20 */
  readonly concurrency: number;
  /** Deliveries in flight to one URL origin, all workers together. @defaultValue 4 */
  readonly maxPerOrigin: number;
  /** Timeout of one delivery call, in milliseconds. @defaultValue 10000 */
  readonly timeoutMs: number;
  /** Attempts of a delivery before it is dead-lettered. @defaultValue 8 */
  readonly maxAttempts: number;
  /** Backoff before the first retry; it doubles with each further one. @defaultValue 5000 */
  readonly backoffMs: number;
  /** Longest wait between two attempts, `Retry-After` included. @defaultValue 3600000 (1 hour) */
  readonly maxDelayMs: number;
}

/** Reads and validates the webhook configuration once, at start-up. */
export function loadWebhookConfig(env: Environment, options: LoadConfigOptions = {}): WebhookConfig {
  const readFile = options.readFile ?? readFileUtf8;
  const parsed = webhookEnvSchema.safeParse(env);
  if (!parsed.success) throw ConfigError.fromZod('environment', parsed.error);
  const vars = parsed.data;
  const entries = vars.WEBHOOKS_FILE
    ? readConfigFile('WEBHOOKS_FILE', vars.WEBHOOKS_FILE, webhooksFileSchema, readFile).subscriptions
    : [];
  const problems: string[] = [];
  const subscriptions: Subscription[] = [];
  for (const { secret, secretFile, secretEnv, batchId, ...entry } of entries) {
    try {
      const source = { value: secret, file: secretFile, env: secretEnv };
      subscriptions.push({
        ...entry,
        ...(batchId === undefined ? {} : { batchId }),
        secret: resolveSecret('secret', source, env, readFile),
        source: 'config',
      });
    } catch (error) {
      problems.push(`subscription ${entry.id}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    subscriptions,
    allowPrivate: vars.WEBHOOK_ALLOW_PRIVATE,
    allowedNetworks: vars.WEBHOOK_ALLOWED_NETWORKS,
    maxSubscriptions: vars.WEBHOOK_MAX_SUBSCRIPTIONS,
    concurrency: vars.WEBHOOK_CONCURRENCY,
    maxPerOrigin: vars.WEBHOOK_MAX_PER_ORIGIN,
    timeoutMs: vars.WEBHOOK_TIMEOUT_MS,
    maxAttempts: vars.WEBHOOK_MAX_ATTEMPTS,
    backoffMs: vars.WEBHOOK_BACKOFF_MS,
    maxDelayMs: vars.WEBHOOK_MAX_DELAY_MS,
  };
}
