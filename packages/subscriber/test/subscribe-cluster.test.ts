import { randomUUID } from 'node:crypto';
import { createLogger, createRedisKeys } from '@aiqum-jobs/contracts';
import { EventStreamTrimmer, RequestStore } from '@aiqum-jobs/core';
import { freePort, lunRequest, RedisServer, waitUntil } from '@aiqum-jobs/test-support';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Delivery, subscribe } from '../src/index.js';

// A one-node Redis Cluster (every slot on one master) is enough to run the ioredis Cluster client's paths.
let server: RedisServer;
let node: Redis;
let cluster: Cluster;
const silent = createLogger({ name: 'subscriber-cluster-test', level: 'silent' });

beforeAll(async () => {
  server = await RedisServer.start({ clusterBusPort: await freePort() });
  node = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: null });
  await node.cluster('ADDSLOTSRANGE', 0, 16_383);
  await waitUntil(async () => /cluster_state:ok/.test(await node.cluster('INFO')), {
    what: 'cluster_state:ok',
  });
  cluster = new Cluster([{ host: '127.0.0.1', port: server.port }], {
    redisOptions: { maxRetriesPerRequest: null },
  });
});
afterAll(async () => {
  cluster?.disconnect();
  node?.disconnect();
  await server?.stop();
});

describe('subscribe on a Redis Cluster', () => {
  it('delivers and acknowledges events, ends a blocked read on close(), and trims without CROSSSLOT', async () => {
    const prefix = `{cluster-${randomUUID().slice(0, 8)}}`;
    const keys = createRedisKeys(prefix);
    const store = new RequestStore({ redis: cluster, keys, retentionSeconds: 3_600 });
    const now = Date.now();
    const spec = {
      requestId: randomUUID(),
      target: 'lab',
      ...lunRequest('lun'),
      createdAt: now,
      deadlineAt: now + 60_000,
      retryAmbiguous: false,
    };
    await store.records.create([spec]);
    await store.completion.complete(spec, {}, { outcome: 'succeeded' });

    const subscription = subscribe({
      redis: cluster,
      prefix,
      group: 'billing',
      consumer: 'c1',
      logger: silent,
    });
    const deliveries: Delivery[] = [];
    for await (const delivery of subscription) {
      deliveries.push(delivery);
      await subscription.close();
    }
    expect(deliveries.map((delivery) => delivery.event)).toEqual([
      expect.objectContaining({ type: 'request.completed', requestId: spec.requestId }),
    ]);
    expect(((await cluster.xpending(keys.events, 'billing')) as unknown[])[0]).toBe(0);

    const blocked = subscribe({
      redis: cluster,
      prefix,
      group: 'audit',
      consumer: 'c1',
      startId: '$',
      blockMs: 30_000,
      logger: silent,
    });
    const run = (async () => {
      for await (const _delivery of blocked);
    })();
    await waitUntil(async () => String(await node.client('LIST')).includes('cmd=xreadgroup') || undefined, {
      what: 'a blocked XREADGROUP',
    });
    await blocked.close();
    await run;

    const trimmer = new EventStreamTrimmer({
      redis: cluster,
      keys,
      retentionSeconds: 3_600,
      maxGroupIdleSeconds: 3_600,
      logger: silent,
    });
    expect(await trimmer.trimIfFirst()).toMatchObject({ trimmed: 0, idleGroups: [] });
    expect(await cluster.xlen(keys.events)).toBe(1);
  });
});
