import type { RedisConnection } from '@aiqum-jobs/contracts';
import { connectRedis, type RedisEndpoint } from '@aiqum-jobs/core';

export interface ProducerRedisOptions {
  /** How long one command may take before it fails. @defaultValue 5000 */
  commandTimeoutMs?: number;
}

/**
 * The producer's Redis connection (one server or a cluster). Without the offline queue, a command sent
 * while Redis is unreachable fails at once instead of waiting for a reconnection, and the command timeout
 * bounds a Redis that hangs: the API answers 503 quickly and never accepts a request it did not store.
 */
export function createProducerRedis(
  endpoint: RedisEndpoint,
  options: ProducerRedisOptions = {},
): RedisConnection {
  const redis = connectRedis(endpoint, {
    enableOfflineQueue: false,
    commandTimeout: options.commandTimeoutMs ?? 5_000,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  // Connection errors surface as failed commands (503) and in /readyz; ioredis would otherwise print them.
  redis.on('error', () => {});
  return redis;
}
