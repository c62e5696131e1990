import {
  ConfigError,
  commaListFromEnv,
  type Environment,
  type LoadConfigOptions,
  type LogLevel,
  loadSharedConfig,
  logLevelSchema,
  Secret,
  type SharedConfig,
} from '@aiqum-jobs/core';
import { loadWebhookConfig, type WebhookConfig } from '@aiqum-jobs/webhooks';
import { z } from 'zod';

const producerEnvSchema = z.object({
  PRODUCER_HOST: z.string().min(1).default('127.0.0.1'),
  PRODUCER_PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  PRODUCER_API_TOKENS: commaListFromEnv(z.string().min(16, 'each token is at least 16 characters')),
  PRODUCER_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(512 * 1024 * 1024)
    .default(8 * 1024 * 1024),
  PRODUCER_REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  PRODUCER_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  LOG_LEVEL: logLevelSchema,
});

/** The producer's configuration: the shared one plus where and how the HTTP API serves. */
export interface ProducerConfig {
  readonly shared: SharedConfig;
  /** @defaultValue `127.0.0.1` */
  readonly host: string;
  /** @defaultValue 8080 */
  readonly port: number;
  /** Bearer tokens accepted by the API; empty means no auth, which is allowed on loopback only. */
  readonly apiTokens: readonly Secret[];
  /** Largest request body; batches of 10,000 requests need megabytes. @defaultValue 8 MiB */
  readonly bodyLimitBytes: number;
  /** How long one Redis command may take before the API answers 503. @defaultValue 5000 */
  readonly redisCommandTimeoutMs: number;
  /** After SIGTERM, how long open connections and Redis get to close before the process exits anyway. @defaultValue 10000 */
  readonly shutdownTimeoutMs: number;
  /** pino level of the API's logs. @defaultValue `info` */
  readonly logLevel: LogLevel;
  /** Static subscriptions and the URL allowlist that `POST /v1/subscriptions` checks. */
  readonly webhooks: WebhookConfig;
}

const loopbackHosts = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopbackHost(host: string): boolean {
  return loopbackHosts.has(host) || host.startsWith('127.');
}

/** Reads and validates the producer's configuration once, at start-up. */
export function loadProducerConfig(env: Environment, options: LoadConfigOptions = {}): ProducerConfig {
  const parsed = producerEnvSchema.safeParse(env);
  if (!parsed.success) throw ConfigError.fromZod('environment', parsed.error);
  const vars = parsed.data;
  if (vars.PRODUCER_API_TOKENS.length === 0 && !isLoopbackHost(vars.PRODUCER_HOST)) {
    throw new ConfigError([
      `PRODUCER_HOST ${vars.PRODUCER_HOST}: without PRODUCER_API_TOKENS the API serves on loopback only`,
    ]);
  }
  return {
    shared: loadSharedConfig(env, options),
    host: vars.PRODUCER_HOST,
    port: vars.PRODUCER_PORT,
    apiTokens: vars.PRODUCER_API_TOKENS.map((token) => new Secret(token)),
    bodyLimitBytes: vars.PRODUCER_BODY_LIMIT_BYTES,
    redisCommandTimeoutMs: vars.PRODUCER_REDIS_COMMAND_TIMEOUT_MS,
    shutdownTimeoutMs: vars.PRODUCER_SHUTDOWN_TIMEOUT_MS,
    logLevel: vars.LOG_LEVEL,
    webhooks: loadWebhookConfig(env, options),
  };
}
