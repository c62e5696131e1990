import { isRedisCluster, type Logger, type RedisConnection } from '@aiqum-jobs/contracts';
import type { Redis } from 'ioredis';

/**
 * Warns when Redis may drop keys: with any `maxmemory-policy` but `noeviction`, a full Redis evicts request
 * records or queue jobs, and requests vanish without an outcome. On a cluster every master is checked (the
 * deployment's slot can move to any of them). Managed Redis services may refuse CONFIG; then the check is
 * skipped with a note. Returns the first policy that is not `noeviction`, else `noeviction`.
 */
export async function checkRedisSettings(
  redis: RedisConnection,
  logger: Logger,
): Promise<string | undefined> {
  const policies: Array<{ node: string; policy: string | undefined }> = [];
  try {
    for (const server of await serversOf(redis)) {
      const reply = await server.config('GET', 'maxmemory-policy');
      const policy = Array.isArray(reply) ? String(reply[1]) : undefined;
      policies.push({ node: `${server.options.host}:${server.options.port}`, policy });
    }
  } catch (error) {
    logger.info({ err: error }, 'cannot read maxmemory-policy (CONFIG refused); make sure it is noeviction');
    return undefined;
  }
  const evicting = policies.filter(({ policy }) => policy !== 'noeviction');
  for (const { node, policy } of evicting) {
    logger.warn(
      { maxmemoryPolicy: policy, ...(isRedisCluster(redis) ? { node } : {}) },
      `Redis maxmemory-policy is ${policy}: when Redis fills up it will evict requests and lose them; set maxmemory-policy noeviction`,
    );
  }
  return evicting.length > 0 ? evicting[0]?.policy : 'noeviction';
}

async function serversOf(redis: RedisConnection): Promise<Redis[]> {
  if (!isRedisCluster(redis)) return [redis];
  // The cluster knows its masters once it has connected.
  await redis.ping();
  return redis.nodes('master');
}
