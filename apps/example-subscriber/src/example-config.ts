import { hostname } from 'node:os';
import {
  ConfigError,
  defaultRedisPrefix,
  type LogLevel,
  logLevelSchema,
  redisPrefixSchema,
} from '@aiqum-jobs/contracts';
import type { Environment } from '@aiqum-jobs/core';
import { z } from 'zod';

const exampleEnvSchema = z.object({
  REDIS_URL: z
    .url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' })
    .default('redis://127.0.0.1:6379'),
  AIQUM_JOBS_PREFIX: redisPrefixSchema.default(defaultRedisPrefix),
  SUBSCRIBER_GROUP: z.string().min(1).default('example-subscriber'),
  SUBSCRIBER_CONSUMER: z.string().min(1).optional(),
  SUBSCRIBER_BATCH_ID: z.string().min(1).optional(),
  LOG_LEVEL: logLevelSchema,
});

export interface ExampleConfig {
  readonly redisUrl: string;
  readonly prefix: string;
  /** @defaultValue `example-subscriber` */
  readonly group: string;
  /** Stable across restarts, so a restarted process gets back the events it had not finished. @defaultValue the host name */
  readonly consumer: string;
  /** Only this batch's completions. */
  readonly batchId?: string;
  readonly logLevel: LogLevel;
}

/** Reads and validates the example's configuration once, at start-up. */
export function loadExampleConfig(env: Environment): ExampleConfig {
  const parsed = exampleEnvSchema.safeParse(env);
  if (!parsed.success) throw ConfigError.fromZod('environment', parsed.error);
  const vars = parsed.data;
  return {
    redisUrl: vars.REDIS_URL,
    prefix: vars.AIQUM_JOBS_PREFIX,
    group: vars.SUBSCRIBER_GROUP,
    consumer: vars.SUBSCRIBER_CONSUMER ?? hostname(),
    ...(vars.SUBSCRIBER_BATCH_ID ? { batchId: vars.SUBSCRIBER_BATCH_ID } : {}),
    logLevel: vars.LOG_LEVEL,
  };
}
