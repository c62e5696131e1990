import { ConfigError, type LogLevel, logLevelSchema } from '@aiqum-jobs/contracts';
import {
  commaListFromEnv,
  type Environment,
  type LoadConfigOptions,
  loadSharedConfig,
  readFileUtf8,
  type SharedConfig,
} from '@aiqum-jobs/core';
import { loadWebhookConfig, type WebhookConfig } from '@aiqum-jobs/webhooks';
import { z } from 'zod';
import { type ApiToken, loadApiTokens, minTokenLength } from './api-token-config.js';

const producerEnvSchema = z.object({
  PRODUCER_HOST: z.string().min(1).default('127.0.0.1'),
  PRODUCER_PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  PRODUCER_API_TOKENS: commaListFromEnv(
    z.string().min(minTokenLength, `each token is at least ${minTokenLength} characters`),
  ),
  PRODUCER_TOKENS_FILE: z.string().min(1).optional(),
  PRODUCER_TOKENS: z.string().min(1).optional(),
  PRODUCER_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(512 * 1024 * 1024)
    .default(8 * 1024 * 1024),
  PRODUCER_MAX_EVENT_STREAMS: z.coerce.number().int().min(1).max(100_000).default(100),
  PRODUCER_MAX_EVENT_STREAMS_PER_TOKEN: z.coerce.number().int().min(1).max(100_000).default(10),
  PRODUCER_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(1_200),
  PRODUCER_LOGIN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000).default(10),
  PRODUCER_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  PRODUCER_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  PRODUCER_REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  PRODUCER_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  LOG_LEVEL: logLevelSchema,
});

/** What one caller, or all of them, may ask of one producer process. */
export interface ProducerLimits {
  /** Event streams open at once in this process. @defaultValue 100 */
  readonly maxEventStreams: number;
  /** Event streams open at once per token (or dashboard session, or loopback address). @defaultValue 10 */
  readonly maxEventStreamsPerToken: number;
  /** Requests per minute per token (or dashboard session, or address). @defaultValue 1200 */
  readonly rateLimitPerMinute: number;
  /** Dashboard login attempts per minute per address. @defaultValue 10 */
  readonly loginRateLimitPerMinute: number;
  /** How long a client may take to send a request's headers, in milliseconds. @defaultValue 10000 */
  readonly headersTimeoutMs: number;
  /** How long a client may take to send a whole request, body included, in milliseconds. @defaultValue 60000 */
  readonly requestTimeoutMs: number;
}

/** The producer's configuration: the shared one plus where and how the HTTP API serves. */
export interface ProducerConfig {
  readonly shared: SharedConfig;
  /** @defaultValue `127.0.0.1` */
  readonly host: string;
  /** @defaultValue 8080 */
  readonly port: number;
  /**
   * Bearer tokens accepted by the API, each with its name and scopes; empty means no auth, which is allowed
   * on loopback only.
   */
  readonly apiTokens: readonly ApiToken[];
  /** Largest request body; batches of 10,000 requests need megabytes. @defaultValue 8 MiB */
  readonly bodyLimitBytes: number;
  /** How long one Redis command may take before the API answers 503. @defaultValue 5000 */
  readonly redisCommandTimeoutMs: number;
  /** After SIGTERM, how long open connections and Redis get to close before the process exits anyway. @defaultValue 10000 */
  readonly shutdownTimeoutMs: number;
  /** pino level of the API's logs. @defaultValue `info` */
  readonly logLevel: LogLevel;
  /** Caps on streams, request rates and how slowly a request may arrive. */
  readonly limits: ProducerLimits;
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
  const shared = loadSharedConfig(env, options);
  const apiTokens = loadApiTokens(
    { unnamed: vars.PRODUCER_API_TOKENS, file: vars.PRODUCER_TOKENS_FILE, json: vars.PRODUCER_TOKENS },
    { env, readFile: options.readFile ?? readFileUtf8, targets: new Set(shared.targets.keys()) },
  );
  if (apiTokens.length === 0 && !isLoopbackHost(vars.PRODUCER_HOST)) {
    throw new ConfigError([
      `PRODUCER_HOST ${vars.PRODUCER_HOST}: without tokens (PRODUCER_API_TOKENS, PRODUCER_TOKENS_FILE, PRODUCER_TOKENS) the API serves on loopback only`,
    ]);
  }
  if (vars.PRODUCER_HEADERS_TIMEOUT_MS > vars.PRODUCER_REQUEST_TIMEOUT_MS) {
    throw new ConfigError([
      'PRODUCER_HEADERS_TIMEOUT_MS: must not be longer than PRODUCER_REQUEST_TIMEOUT_MS, which includes the headers',
    ]);
  }
  return {
    shared,
    host: vars.PRODUCER_HOST,
    port: vars.PRODUCER_PORT,
    apiTokens,
    bodyLimitBytes: vars.PRODUCER_BODY_LIMIT_BYTES,
    redisCommandTimeoutMs: vars.PRODUCER_REDIS_COMMAND_TIMEOUT_MS,
    shutdownTimeoutMs: vars.PRODUCER_SHUTDOWN_TIMEOUT_MS,
    logLevel: vars.LOG_LEVEL,
    limits: {
      maxEventStreams: vars.PRODUCER_MAX_EVENT_STREAMS,
      maxEventStreamsPerToken: vars.PRODUCER_MAX_EVENT_STREAMS_PER_TOKEN,
      rateLimitPerMinute: vars.PRODUCER_RATE_LIMIT_PER_MINUTE,
      loginRateLimitPerMinute: vars.PRODUCER_LOGIN_RATE_LIMIT_PER_MINUTE,
      headersTimeoutMs: vars.PRODUCER_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: vars.PRODUCER_REQUEST_TIMEOUT_MS,
    },
    webhooks: loadWebhookConfig(env, options),
  };
}
