import type { Logger } from '@aiqum-jobs/core';
import type { Redis } from 'ioredis';

/**
 * Warns when Redis may drop keys: with any `maxmemory-policy` but `noeviction`, a full Redis evicts request
 * records or queue jobs, and requests vanish without an outcome. Managed Redis services may refuse CONFIG;
 * then the check is skipped with a note. Returns the policy seen.
 */
export async function checkRedisSettings(redis: Redis, logger: Logger): Promise<string | undefined> {
  let policy: string | undefined;
  try {
    const reply = await redis.config('GET', 'maxmemory-policy');
    policy = Array.isArray(reply) ? String(reply[1]) : undefined;
  } catch (error) {
    logger.info(
      { err: error instanceof Error ? error.message : String(error) },
      'cannot read maxmemory-policy (CONFIG refused); make sure it is noeviction',
    );
    return undefined;
  }
  if (policy !== 'noeviction') {
    logger.warn(
      { maxmemoryPolicy: policy },
      `Redis maxmemory-policy is ${policy}: when Redis fills up it will evict requests and lose them; set maxmemory-policy noeviction`,
    );
  }
  return policy;
}
