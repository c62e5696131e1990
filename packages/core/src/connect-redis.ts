import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisConnection } from './lua-script.js';
import type { RedisEndpoint } from './redis-endpoint.js';

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

/** The one way every process connects: an ioredis `Redis` for one server, a `Cluster` for a cluster. */
export function connectRedis(endpoint: RedisEndpoint, options: ConnectRedisOptions = {}): RedisConnection {
  if (endpoint.kind === 'server') return new Redis(endpoint.url, options);
  const urls = endpoint.nodes.map((node) => new URL(node));
  const { enableOfflineQueue, retryStrategy, lazyConnect, ...nodeOptions } = options;
  // The schema made every node agree on scheme and credentials.
  const first = urls[0];
  return new Cluster(
    urls.map((url) => ({ host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 6379) })),
    {
      redisOptions: {
        ...nodeOptions,
        ...(first?.username ? { username: decodeURIComponent(first.username) } : {}),
        ...(first?.password ? { password: decodeURIComponent(first.password) } : {}),
        ...(first?.protocol === 'rediss:' ? { tls: {} } : {}),
      },
      // The cluster, not each node connection, queues commands and reconnects.
      ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
      ...(retryStrategy === undefined ? {} : { clusterRetryStrategy: retryStrategy }),
      ...(lazyConnect === undefined ? {} : { lazyConnect }),
    },
  );
}

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
