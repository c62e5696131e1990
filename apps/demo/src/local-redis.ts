import { connectRedis, type RedisEndpoint, redisClusterNodesSchema } from '@aiqum-jobs/core';
import { RedisServer } from '@aiqum-jobs/test-support';

export interface LocalRedis {
  endpoint: RedisEndpoint;
  /** `REDIS_URL` or `REDIS_CLUSTER_NODES`, for the configuration of the demo's processes. */
  env: Record<string, string>;
  /** Where it came from, for the demo's output. */
  origin: string;
  stop(): Promise<void>;
}

async function answers(endpoint: RedisEndpoint): Promise<boolean> {
  const probe = connectRedis(endpoint, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_000,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * `REDIS_CLUSTER_NODES` or `REDIS_URL` if set, else the local Redis if one answers, else a redis-server of
 * the demo's own.
 */
export async function localRedis(env: NodeJS.ProcessEnv): Promise<LocalRedis> {
  const none = async () => {};
  if (env.REDIS_CLUSTER_NODES && env.REDIS_URL) {
    throw new Error('set either REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both');
  }
  if (env.REDIS_CLUSTER_NODES) {
    const nodes = redisClusterNodesSchema.safeParse(env.REDIS_CLUSTER_NODES);
    if (!nodes.success) throw new Error(`REDIS_CLUSTER_NODES: ${nodes.error.issues[0]?.message}`);
    const endpoint: RedisEndpoint = { kind: 'cluster', nodes: nodes.data };
    if (!(await answers(endpoint)))
      throw new Error(`REDIS_CLUSTER_NODES ${nodes.data.join(',')} does not answer`);
    return {
      endpoint,
      env: { REDIS_CLUSTER_NODES: nodes.data.join(',') },
      origin: 'REDIS_CLUSTER_NODES',
      stop: none,
    };
  }
  const server = (url: string, origin: string, stop = none): LocalRedis => ({
    endpoint: { kind: 'server', url },
    env: { REDIS_URL: url },
    origin,
    stop,
  });
  if (env.REDIS_URL) {
    if (!(await answers({ kind: 'server', url: env.REDIS_URL })))
      throw new Error(`REDIS_URL ${env.REDIS_URL} does not answer`);
    return server(env.REDIS_URL, 'REDIS_URL');
  }
  const local = 'redis://127.0.0.1:6379';
  if (await answers({ kind: 'server', url: local }))
    return server(local, 'the local Redis on 127.0.0.1:6379');
  try {
    const started = await RedisServer.start();
    return server(started.url, `a redis-server started for the demo on port ${started.port}`, () =>
      started.stop(),
    );
  } catch (error) {
    throw new Error(
      `no Redis: set REDIS_URL, start Redis on 127.0.0.1:6379, or install redis-server (Debian/Ubuntu: apt-get install redis-server). ${error instanceof Error ? error.message : ''}`,
    );
  }
}
