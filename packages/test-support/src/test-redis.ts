import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix } from './delete-keys.js';
import { RedisServer } from './redis-server.js';

export interface TestRedis {
  url: string;
  /** A hash-tagged prefix no other test uses, so tests share one Redis without seeing each other. */
  prefix: string;
  /** A new connection; closed by `close()`. */
  connect(options?: { maxRetriesPerRequest?: number | null }): Redis;
  close(): Promise<void>;
}

/**
 * The Redis a test file uses: `REDIS_URL` when set, else (or with `ownServer`) a redis-server of the
 * test's own. Every test gets a unique prefix, and its keys are deleted on close.
 */
export async function useTestRedis(options: { ownServer?: boolean } = {}): Promise<TestRedis> {
  const server = process.env.REDIS_URL && !options.ownServer ? undefined : await RedisServer.start();
  const url = server?.url ?? process.env.REDIS_URL ?? '';
  const prefix = `{test-${randomUUID().slice(0, 8)}}`;
  const connections: Redis[] = [];
  return {
    url,
    prefix,
    connect(options = {}) {
      const redis = new Redis(url, { maxRetriesPerRequest: options.maxRetriesPerRequest ?? null });
      connections.push(redis);
      return redis;
    },
    async close() {
      const cleaner = new Redis(url);
      await deleteKeysWithPrefix(cleaner, prefix);
      cleaner.disconnect();
      for (const redis of connections) redis.disconnect();
      await server?.stop();
    },
  };
}
