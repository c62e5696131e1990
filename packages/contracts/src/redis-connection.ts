import type { Cluster, Redis, RedisOptions } from 'ioredis';

/** A connection to the deployment's Redis: one server or a cluster. */
export type RedisConnection = Redis | Cluster;

/** The connection settings the processes use; on a cluster they apply to each node's connection. */
export type ConnectRedisOptions = Pick<
  RedisOptions,
  | 'connectionName'
  | 'maxRetriesPerRequest'
  | 'enableOfflineQueue'
  | 'commandTimeout'
  | 'connectTimeout'
  | 'disconnectTimeout'
  | 'retryStrategy'
  | 'lazyConnect'
>;

/**
 * A new connection to the same Redis with the same settings but `overrides`, e.g. for a blocking read or a
 * connection that must fail fast. On a cluster, queueing and connecting are the cluster's, the rest each node's.
 */
export function duplicateRedis(
  connection: RedisConnection,
  overrides: Omit<ConnectRedisOptions, 'retryStrategy' | 'connectTimeout'>,
): RedisConnection {
  if (!isRedisCluster(connection)) return connection.duplicate(overrides);
  const { lazyConnect, enableOfflineQueue, ...nodeOverrides } = overrides;
  return connection.duplicate([], {
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    redisOptions: { ...connection.options.redisOptions, ...nodeOverrides },
  });
}

export function isRedisCluster(connection: RedisConnection): connection is Cluster {
  return connection.isCluster;
}
