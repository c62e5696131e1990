import { createLogger } from '@aiqum-jobs/contracts';
import { connectRedis } from '@aiqum-jobs/core';
import { logSink, RedisCluster, RedisServer } from '@aiqum-jobs/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRedisSettings } from '../src/redis-settings.js';

// A Redis of the test's own: the test changes its configuration.
let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

function capture() {
  const sink = logSink();
  return { logger: createLogger({ name: 'test', destination: sink.destination }), ...sink };
}

describe('checkRedisSettings', () => {
  it('is quiet with noeviction', async () => {
    await redis.config('SET', 'maxmemory-policy', 'noeviction');
    const { logger, lines } = capture();
    expect(await checkRedisSettings(redis, logger)).toBe('noeviction');
    expect(lines()).toEqual([]);
  });

  it('warns clearly when Redis may evict requests', async () => {
    await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const { logger, lines, text } = capture();
    expect(await checkRedisSettings(redis, logger)).toBe('allkeys-lru');
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatchObject({ level: 40, maxmemoryPolicy: 'allkeys-lru' });
    expect(text()).toContain('set maxmemory-policy noeviction');
  });
});

describe('checkRedisSettings on a Redis Cluster', () => {
  it('checks every master and names the one that may evict', async () => {
    const cluster = await RedisCluster.start();
    const connection = connectRedis({ kind: 'cluster', nodes: cluster.urls });
    try {
      const evicting = cluster.servers[1];
      if (!evicting) throw new Error('no second master');
      const admin = new Redis(evicting.url);
      await admin.config('SET', 'maxmemory-policy', 'volatile-lru');
      admin.disconnect();
      const { logger, lines } = capture();
      expect(await checkRedisSettings(connection, logger)).toBe('volatile-lru');
      expect(lines()).toEqual([
        expect.objectContaining({
          level: 40,
          maxmemoryPolicy: 'volatile-lru',
          node: `127.0.0.1:${evicting.port}`,
        }),
      ]);
    } finally {
      connection.disconnect();
      await cluster.stop();
    }
  });
});
