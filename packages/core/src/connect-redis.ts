import type { ConnectRedisOptions, RedisConnection } from '@aiqum-jobs/contracts';
import { Cluster, Redis } from 'ioredis';
import type { RedisEndpoint } from './redis-endpoint.js';

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
