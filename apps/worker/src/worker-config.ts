import { ConfigError, type LogLevel, logLevelSchema } from '@aiqum-jobs/contracts';
import {
  type Environment,
  type LoadConfigOptions,
  loadSharedConfig,
  type SharedConfig,
} from '@aiqum-jobs/core';
import { loadWebhookConfig, type WebhookConfig } from '@aiqum-jobs/webhooks';
import { z } from 'zod';

const workerEnvSchema = z.object({
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).default(50),
  WORKER_HEALTH_HOST: z.string().min(1).default('127.0.0.1'),
  WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65_535).default(8081),
  WORKER_LOCK_MS: z.coerce.number().int().min(1_000).max(600_000).default(15_000),
  WORKER_STALLED_INTERVAL_MS: z.coerce.number().int().min(500).max(600_000).default(5_000),
  WORKER_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  WORKER_ORPHANED_TARGET_GRACE_SECONDS: z.coerce.number().int().min(1).max(604_800).default(600),
  LOG_LEVEL: logLevelSchema,
});

export interface WorkerConfig extends SharedConfig {
  /** Requests one process works on at once (a tracked request between polls takes no slot). @defaultValue 50 */
  readonly concurrency: number;
  /** Address of `/healthz` and `/readyz`; port 0 picks a free one. @defaultValue 127.0.0.1:8081 */
  readonly health: { readonly host: string; readonly port: number };
  /**
   * How long a worker's claim on a request lasts without renewal. A crashed worker's requests are taken
   * over after at most about this long plus the stalled-check interval. @defaultValue 15000
   */
  readonly lockMs: number;
  /** How often workers look for requests whose worker died. @defaultValue 5000 */
  readonly stalledIntervalMs: number;
  /** How long shutdown waits for calls in flight before it gives up on them. @defaultValue 10000 */
  readonly shutdownTimeoutMs: number;
  /**
   * How long a target may go without any worker serving it before its tracked requests end `unknown` with
   * `UNKNOWN_TARGET` (nothing would ever poll them). @defaultValue 600
   */
  readonly orphanedTargetGraceSeconds: number;
  readonly logLevel: LogLevel;
  /** Webhook subscriptions of the configuration file, the URL allowlist and how deliveries are made. */
  readonly webhooks: WebhookConfig;
}

/** Reads and validates the worker's configuration once, at start-up. */
export function loadWorkerConfig(env: Environment, options: LoadConfigOptions = {}): WorkerConfig {
  const shared = loadSharedConfig(env, options);
  const parsed = workerEnvSchema.safeParse(env);
  if (!parsed.success) throw ConfigError.fromZod('environment', parsed.error);
  const vars = parsed.data;
  return {
    ...shared,
    concurrency: vars.WORKER_CONCURRENCY,
    health: { host: vars.WORKER_HEALTH_HOST, port: vars.WORKER_HEALTH_PORT },
    lockMs: vars.WORKER_LOCK_MS,
    stalledIntervalMs: vars.WORKER_STALLED_INTERVAL_MS,
    shutdownTimeoutMs: vars.WORKER_SHUTDOWN_TIMEOUT_MS,
    orphanedTargetGraceSeconds: vars.WORKER_ORPHANED_TARGET_GRACE_SECONDS,
    logLevel: vars.LOG_LEVEL,
    webhooks: loadWebhookConfig(env, options),
  };
}
