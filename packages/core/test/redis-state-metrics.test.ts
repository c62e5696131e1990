import { once } from 'node:events';
import { createLogger, createRedisKeys } from '@aiqum-jobs/contracts';
import { logSink, RedisServer, useTestRedis, waitUntil } from '@aiqum-jobs/test-support';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetricsRegistry, createRequestQueue, RedisStateMetrics } from '../src/index.js';

type Sample = { labels: Record<string, string | number | undefined>; value: number };

/** The samples of one metric after a scrape (`getMetricsAsJSON` collects like `/metrics` does). */
async function samples(registry: Registry, name: string): Promise<Sample[]> {
  const metrics = await registry.getMetricsAsJSON();
  const metric = metrics.find((candidate) => candidate.name === name);
  if (!metric) throw new Error(`no metric ${name}`);
  return metric.values.map(({ labels, value }) => ({ labels: { ...labels }, value }));
}

/** A connection like the ones scrapes read on: it fails at once while Redis is down. */
async function failFast(url: string): Promise<Redis> {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 1_000 });
  redis.on('error', () => {});
  await once(redis, 'ready');
  return redis;
}

describe('Redis state metrics', () => {
  it('report tracked requests by target, queue depths, the stream length and group lags', async () => {
    const testRedis = await useTestRedis();
    const redis = testRedis.connect();
    const keys = createRedisKeys(testRedis.prefix);
    const queue = createRequestQueue({ connection: redis, prefix: testRedis.prefix, retentionSeconds: 60 });
    const second = new Queue('second', { connection: redis, prefix: testRedis.prefix });
    const registry = createMetricsRegistry();
    const state = new RedisStateMetrics({
      registry,
      redis,
      prefix: testRedis.prefix,
      targets: ['lab', 'prod'],
      queues: ['requests', 'second'],
      logger: createLogger({ name: 'test', level: 'silent' }),
    });
    try {
      await second.add('delivery', { n: 0 });
      await redis.zadd(keys.targetDue('lab'), 1, 'r1', 2, 'r2', 3, 'r3');
      await redis.zadd(keys.targetDue('prod'), 1, 'r4');
      await queue.add('request', { n: 1 });
      await queue.add('request', { n: 2 }, { delay: 60_000 });
      await queue.add('request', { n: 3 }, { delay: 60_000 });
      const ids: string[] = [];
      for (let index = 0; index < 6; index += 1) {
        ids.push(await redis.xadd(keys.events, '*', 'event', `{"n":${index}}`).then(String));
      }
      // `reader` has read one entry; `late` starts after the second.
      await redis.xgroup('CREATE', keys.events, 'reader', '0');
      await redis.xreadgroup('GROUP', 'reader', 'c1', 'COUNT', 1, 'STREAMS', keys.events, '>');
      await redis.xgroup('CREATE', keys.events, 'late', ids[1] ?? '');

      expect(await samples(registry, 'aiqum_jobs_redis_up')).toEqual([{ labels: {}, value: 1 }]);
      expect(await samples(registry, 'aiqum_jobs_requests_tracked')).toEqual([
        { labels: { target: 'lab' }, value: 3 },
        { labels: { target: 'prod' }, value: 1 },
      ]);
      expect(await samples(registry, 'aiqum_jobs_queue_jobs')).toEqual([
        { labels: { queue: 'requests', state: 'waiting' }, value: 1 },
        { labels: { queue: 'requests', state: 'delayed' }, value: 2 },
        { labels: { queue: 'requests', state: 'active' }, value: 0 },
        { labels: { queue: 'requests', state: 'failed' }, value: 0 },
        { labels: { queue: 'second', state: 'waiting' }, value: 1 },
        { labels: { queue: 'second', state: 'delayed' }, value: 0 },
        { labels: { queue: 'second', state: 'active' }, value: 0 },
        { labels: { queue: 'second', state: 'failed' }, value: 0 },
      ]);
      expect(await samples(registry, 'aiqum_jobs_event_stream_entries')).toEqual([{ labels: {}, value: 6 }]);
      expect(await samples(registry, 'aiqum_jobs_event_stream_group_lag')).toEqual([
        { labels: { group: 'late' }, value: 4 },
        { labels: { group: 'reader' }, value: 5 },
      ]);

      await redis.xdel(keys.events, ids[4] ?? '');
      const lags = await samples(registry, 'aiqum_jobs_event_stream_group_lag');
      // After a deletion Redis cannot tell either lag (nil): the entries after each last-delivered id are
      // counted. reader: entries 2..6 without 5; late: 3..6 without 5.
      expect(lags).toEqual([
        { labels: { group: 'late' }, value: 3 },
        { labels: { group: 'reader' }, value: 4 },
      ]);
      const info = (await redis.xinfo('GROUPS', keys.events)) as unknown[][];
      expect(info.map((fields) => fields[fields.indexOf('lag') + 1])).toEqual([null, null]);
    } finally {
      await state.close();
      await queue.close();
      await second.close();
      await testRedis.close();
    }
  });

  it('reports no groups before the event stream exists', async () => {
    const testRedis = await useTestRedis();
    const registry = createMetricsRegistry();
    const state = new RedisStateMetrics({
      registry,
      redis: testRedis.connect(),
      prefix: testRedis.prefix,
      targets: ['lab'],
      logger: createLogger({ name: 'test', level: 'silent' }),
    });
    try {
      expect(await samples(registry, 'aiqum_jobs_redis_up')).toEqual([{ labels: {}, value: 1 }]);
      expect(await samples(registry, 'aiqum_jobs_event_stream_group_lag')).toEqual([]);
      expect(await samples(registry, 'aiqum_jobs_event_stream_entries')).toEqual([{ labels: {}, value: 0 }]);
    } finally {
      await state.close();
      await testRedis.close();
    }
  });

  it('while Redis is down, scrapes still answer: redis_up 0, the Redis gauges left out, one warning', async () => {
    let server = await RedisServer.start();
    const redis = await failFast(server.url);
    const log = logSink();
    const registry = createMetricsRegistry();
    const state = new RedisStateMetrics({
      registry,
      redis,
      prefix: '{metrics-down}',
      targets: ['lab'],
      logger: createLogger({ name: 'test', level: 'info', destination: log.destination }),
    });
    try {
      await redis.zadd(createRedisKeys('{metrics-down}').targetDue('lab'), 1, 'r1');
      expect(await samples(registry, 'aiqum_jobs_requests_tracked')).toEqual([
        { labels: { target: 'lab' }, value: 1 },
      ]);

      const { port } = server;
      await server.stop();
      for (let scrape = 0; scrape < 3; scrape += 1) {
        const text = await registry.metrics();
        expect(text).toContain('\naiqum_jobs_redis_up 0\n');
        expect(text).toContain('process_cpu_seconds_total');
        expect(text).not.toMatch(/^aiqum_jobs_(requests_tracked|queue_jobs|event_stream_entries)[ {]/m);
      }
      const warnings = log.lines().filter((line) => line.level === 40);
      expect(warnings.map((line) => line.msg)).toEqual([
        'metrics cannot read Redis; its gauges are left out until it answers',
      ]);

      server = await RedisServer.start({ port });
      await waitUntil(async () => (await samples(registry, 'aiqum_jobs_redis_up'))[0]?.value === 1, {
        timeoutMs: 10_000,
        what: 'the metrics to read Redis again',
      });
      expect(await samples(registry, 'aiqum_jobs_requests_tracked')).toEqual([
        { labels: { target: 'lab' }, value: 0 },
      ]);
      expect(log.lines().map((line) => line.msg)).toContain('metrics read Redis again');
    } finally {
      await state.close();
      redis.disconnect();
      await server.stop();
    }
  });
});
