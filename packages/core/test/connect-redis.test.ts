import { duplicateRedis, isRedisCluster } from '@aiqum-jobs/contracts';
import { RedisCluster, waitUntil } from '@aiqum-jobs/test-support';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisEndpoint } from '../src/index.js';

let cluster: RedisCluster;
let endpoint: RedisEndpoint;

beforeAll(async () => {
  cluster = await RedisCluster.start();
  // An ACL user on every master, as a managed cluster would have.
  for (const url of cluster.urls) {
    const admin = new Redis(url);
    await admin.acl('SETUSER', 'svc', 'on', '>p@ss', '~*', '&*', '+@all');
    admin.disconnect();
  }
  endpoint = {
    kind: 'cluster',
    nodes: cluster.urls.map((url) => url.replace('redis://', 'redis://svc:p%40ss@')),
  };
}, 30_000);
afterAll(async () => {
  await cluster.stop();
});

describe('connectRedis', () => {
  it('builds one Redis from a server endpoint', () => {
    const redis = connectRedis({ kind: 'server', url: 'redis://10.0.0.9:6380' }, { lazyConnect: true });
    expect(redis).toBeInstanceOf(Redis);
    expect(isRedisCluster(redis)).toBe(false);
    expect(redis.options).toMatchObject({ host: '10.0.0.9', port: 6380 });
    redis.disconnect();
  });

  it('reaches every slot of a cluster as the user of the node URLs, with the settings given', async () => {
    const redis = connectRedis(endpoint, { connectionName: 'connect-test', commandTimeout: 2_000 });
    try {
      expect(redis).toBeInstanceOf(Cluster);
      // Keys in the slots of all three masters.
      for (const tag of ['a', 'b', 'c', 'd', 'e']) await redis.set(`{${tag}}:key`, tag);
      expect(await Promise.all(['a', 'b', 'c', 'd', 'e'].map((tag) => redis.get(`{${tag}}:key`)))).toEqual([
        'a',
        'b',
        'c',
        'd',
        'e',
      ]);
      expect(await redis.acl('WHOAMI')).toBe('svc');
      expect(await redis.client('GETNAME')).toBe('connect-test');
    } finally {
      redis.disconnect();
    }
  });

  it('refuses a wrong password', async () => {
    const wrong: RedisEndpoint = {
      kind: 'cluster',
      nodes: cluster.urls.map((url) => url.replace('redis://', 'redis://svc:wrong@')),
    };
    const redis = connectRedis(wrong, { lazyConnect: true, retryStrategy: () => null });
    const nodeErrors: string[] = [];
    redis.on('node error', (error: unknown) => nodeErrors.push(String(error)));
    redis.on('error', () => {});
    await expect(redis.connect()).rejects.toThrow('None of startup nodes is available');
    expect(nodeErrors[0]).toMatch(/WRONGPASS/);
    redis.disconnect();
  });
});

describe('duplicateRedis', () => {
  it('gives a blocking reader its own cluster connection with the same user and its own timeout', async () => {
    const redis = connectRedis(endpoint);
    const reader = duplicateRedis(redis, {
      lazyConnect: true,
      commandTimeout: 5_000,
      connectionName: 'blocked-reader',
    });
    try {
      if (!isRedisCluster(redis) || !isRedisCluster(reader)) throw new Error('expected cluster connections');
      expect(reader.options.redisOptions).toMatchObject({ password: 'p@ss', commandTimeout: 5_000 });
      await reader.connect();
      const read = reader.xread('BLOCK', 3_000, 'STREAMS', '{s}:events', '$');
      // The reader blocks on its own connection while the first one writes: written before the read is
      // blocked, the entry would not be new to `$`. A node lists the blocked reader once it is.
      await waitUntil(
        async () => {
          const lists = await Promise.all(redis.nodes('master').map((node) => node.client('LIST')));
          return lists.some((list) =>
            String(list)
              .split('\n')
              .some(
                (line) => /\bname=blocked-reader\b.*\bcmd=xread\b/.test(line) && /\bflags=\w*b/.test(line),
              ),
          );
        },
        { what: 'the reader to block in XREAD' },
      );
      await redis.xadd('{s}:events', '*', 'event', 'hello');
      const reply = await read;
      expect(reply?.[0]?.[1]?.[0]?.[1]).toEqual(['event', 'hello']);
      expect(await reader.acl('WHOAMI')).toBe('svc');
    } finally {
      reader.disconnect();
      redis.disconnect();
    }
  });
});
