import { randomUUID } from 'node:crypto';
import {
  type AiqumJobsEvent,
  ConfigError,
  createLogger,
  createRedisKeys,
  type RedisConnection,
  type RedisKeys,
} from '@aiqum-jobs/contracts';
import { RequestStore } from '@aiqum-jobs/core';
import {
  deleteKeysWithPrefix,
  logSink,
  lunRequest,
  type TestRedis,
  useTestRedis,
  waitUntil,
} from '@aiqum-jobs/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Delivery, type SubscribeOptions, type Subscription, subscribe } from '../src/index.js';

let testRedis: TestRedis;
let redis: Redis;
let prefixes = 0;
const silent = createLogger({ name: 'subscriber-test', level: 'silent' });

beforeAll(async () => {
  testRedis = await useTestRedis();
  redis = testRedis.connect();
});
afterAll(async () => {
  await deleteKeysWithPrefix(redis, testRedis.prefix.slice(0, -1));
  await testRedis.close();
});

/** A deployment of its own for each test: a hash-tagged prefix, its keys, a store writing real events. */
function deployment(connection: RedisConnection = redis) {
  prefixes += 1;
  const prefix = `${testRedis.prefix.slice(0, -1)}-${prefixes}}`;
  const keys = createRedisKeys(prefix);
  const store = new RequestStore({ redis: connection, keys, retentionSeconds: 3_600 });
  return {
    prefix,
    keys,
    store,
    complete: (count: number, batchId?: string) => complete(store, count, batchId),
  };
}

/** Creates and completes `count` requests (in batch `batchId` when given): one `request.completed` each. */
async function complete(store: RequestStore, count: number, batchId?: string): Promise<string[]> {
  const now = Date.now();
  const specs = Array.from({ length: count }, () => ({
    requestId: randomUUID(),
    target: 'lab',
    ...lunRequest('lun'),
    createdAt: now,
    deadlineAt: now + 60_000,
    retryAmbiguous: false,
    ...(batchId ? { batchId } : {}),
  }));
  await store.records.create(specs, batchId ? { batchId } : undefined);
  for (const spec of specs) await store.completion.complete(spec, {}, { outcome: 'succeeded' });
  return specs.map((spec) => spec.requestId);
}

function requestIdOf(event: AiqumJobsEvent): string | undefined {
  return event.type === 'batch.completed' ? undefined : event.requestId;
}

async function pendingCount(keys: RedisKeys, group: string): Promise<number> {
  const [count] = (await redis.xpending(keys.events, group)) as [number];
  return count;
}

/** Collects deliveries in the background until the subscription is closed or the body throws. */
function collect(subscription: Subscription, body: (delivery: Delivery) => Promise<void> | void = () => {}) {
  const deliveries: Delivery[] = [];
  const done = (async () => {
    for await (const delivery of subscription) {
      deliveries.push(delivery);
      await body(delivery);
    }
  })();
  return { deliveries, done };
}

function options(prefix: string, overrides: Partial<SubscribeOptions> = {}): SubscribeOptions {
  return { redis, prefix, group: 'billing', consumer: 'c1', blockMs: 200, logger: silent, ...overrides };
}

describe('subscribe', () => {
  it('delivers every event to the group, acknowledging each only after its body returned', async () => {
    const { prefix, keys, complete } = deployment();
    const requestIds = await complete(3);
    const subscription = subscribe(options(prefix));
    const pendingDuringBody: string[][] = [];
    const { deliveries, done } = collect(subscription, async () => {
      const pending = (await redis.xpending(keys.events, 'billing', '-', '+', 10)) as Array<[string]>;
      pendingDuringBody.push(pending.map(([id]) => id));
      if (deliveries.length === 3) await subscription.close();
    });
    await done;
    expect(deliveries.map((delivery) => requestIdOf(delivery.event))).toEqual(requestIds);
    expect(deliveries.map((delivery) => delivery.event.type)).toEqual(Array(3).fill('request.completed'));
    // While a body runs its event is pending; the events before it are acknowledged.
    deliveries.forEach((delivery, index) => {
      expect(pendingDuringBody[index]).toContain(delivery.streamId);
      for (const earlier of deliveries.slice(0, index)) {
        expect(pendingDuringBody[index]).not.toContain(earlier.streamId);
      }
    });
    expect(await pendingCount(keys, 'billing')).toBe(0);
  });

  it('with batches(), hands out each read as one array and acknowledges it with one XACK after its body', async () => {
    const { prefix, keys, complete } = deployment();
    const requestIds = await complete(5);
    const subscription = subscribe(options(prefix, { count: 2 }));
    const batches: (readonly Delivery[])[] = [];
    const pendingDuringBody: number[] = [];
    for await (const deliveries of subscription.batches()) {
      batches.push(deliveries);
      pendingDuringBody.push(await pendingCount(keys, 'billing'));
      if (batches.flat().length === 5) await subscription.close();
    }
    expect(batches.map((deliveries) => deliveries.length)).toEqual([2, 2, 1]);
    expect(batches.flat().map((delivery) => requestIdOf(delivery.event))).toEqual(requestIds);
    // While a body runs, its whole read is pending and nothing before it.
    expect(pendingDuringBody).toEqual([2, 2, 1]);
    expect(await pendingCount(keys, 'billing')).toBe(0);

    // A body that throws leaves its whole read pending, handed out again to the same consumer.
    const more = await complete(2);
    const failing = subscribe(options(prefix, { count: 2 }));
    await expect(
      (async () => {
        for await (const _deliveries of failing.batches()) throw new Error('handler failed');
      })(),
    ).rejects.toThrow('handler failed');
    expect(await pendingCount(keys, 'billing')).toBe(2);
    const again = subscribe(options(prefix, { count: 2 }));
    for await (const deliveries of again.batches()) {
      expect(deliveries.map((delivery) => requestIdOf(delivery.event))).toEqual(more);
      await again.close();
    }
    expect(await pendingCount(keys, 'billing')).toBe(0);
  });

  it('leaves the event of a body that throws pending, and another consumer takes it over after claimIdleMs', async () => {
    const { prefix, keys, complete } = deployment();
    const [requestId] = await complete(1);
    const claimIdleMs = 300;
    const dying = subscribe(options(prefix, { consumer: 'dying', claimIdleMs }));
    let readAt = 0;
    const failed = collect(dying, () => {
      readAt = Date.now();
      throw new Error('handler failed');
    });
    await expect(failed.done).rejects.toThrow('handler failed');
    const pending = (await redis.xpending(keys.events, 'billing', '-', '+', 10)) as unknown[][];
    const [id, consumer, , deliveries] = pending[0] ?? [];
    expect([id, consumer, deliveries]).toEqual([failed.deliveries[0]?.streamId, 'dying', 1]);

    const survivor = subscribe(options(prefix, { consumer: 'survivor', claimIdleMs }));
    const taken = collect(survivor, () => survivor.close());
    await taken.done;
    expect(Date.now() - readAt).toBeGreaterThanOrEqual(claimIdleMs);
    expect(taken.deliveries.map((delivery) => delivery.streamId)).toEqual([id]);
    expect(requestIdOf(taken.deliveries[0]?.event as AiqumJobsEvent)).toBe(requestId);
    expect(await pendingCount(keys, 'billing')).toBe(0);
  });

  it('delivers the events a consumer left pending to it first when it subscribes again', async () => {
    const { prefix, keys, complete } = deployment();
    const requestIds = await complete(2);
    const first = subscribe(options(prefix, { claimIdleMs: 600_000 }));
    for await (const _delivery of first) break; // stops without acknowledging
    expect(await pendingCount(keys, 'billing')).toBe(2);

    const again = subscribe(options(prefix, { claimIdleMs: 600_000 }));
    const { deliveries, done } = collect(again, async () => {
      if (deliveries.length === 2) await again.close();
    });
    await done;
    expect(deliveries.map((delivery) => requestIdOf(delivery.event))).toEqual(requestIds);
    expect(await pendingCount(keys, 'billing')).toBe(0);
  });

  it('filters by type and batch, and acknowledges the other entries (invalid ones with a warning)', async () => {
    const { prefix, keys, complete } = deployment();
    await redis.xadd(keys.events, '*', 'event', 'not json');
    const batchA = randomUUID();
    const inA = await complete(2, batchA);
    await complete(1, randomUUID());
    await complete(1);
    const logs = logSink();
    const logger = createLogger({ name: 'subscriber-test', destination: logs.destination });
    const subscription = subscribe(
      options(prefix, { types: ['request.completed'], batchId: batchA, logger }),
    );
    const { deliveries, done } = collect(subscription);
    const [last] = await redis.xrevrange(keys.events, '+', '-', 'COUNT', 1);
    await waitUntil(
      async () => {
        const [group] = (await redis.xinfo('GROUPS', keys.events)) as unknown[][];
        const info = Object.fromEntries(
          Array.from({ length: (group?.length ?? 0) / 2 }, (_, i) => [group?.[2 * i], group?.[2 * i + 1]]),
        );
        return info['last-delivered-id'] === last?.[0] && info.pending === 0 && deliveries.length === 2;
      },
      { what: 'every entry to be read and acknowledged' },
    );
    await subscription.close();
    await done;
    expect(deliveries.map((delivery) => [delivery.event.type, requestIdOf(delivery.event)])).toEqual(
      inA.map((id) => ['request.completed', id]),
    );
    expect(logs.lines()).toContainEqual(
      expect.objectContaining({ level: 40, msg: expect.stringContaining('not a valid event') }),
    );
  });

  it('starts a new group at the retained history by default, or at new events with startId $', async () => {
    const { prefix, complete } = deployment();
    const [before] = await complete(1);
    let after: string | undefined;
    const fromNow = subscribe(options(prefix, { group: 'from-now', startId: '$' }));
    const history = subscribe(options(prefix, { group: 'history' }));
    const fromNowRun = collect(fromNow, () => fromNow.close());
    const historyRun = collect(history, async (delivery) => {
      if (requestIdOf(delivery.event) === after) await history.close();
    });
    // Both groups exist once their first reads are under way; events after that reach both.
    await waitUntil(async () => {
      const groups = (await redis.xinfo('GROUPS', createRedisKeys(prefix).events)) as unknown[][];
      return groups.length === 2;
    });
    [after] = await complete(1);
    await Promise.all([fromNowRun.done, historyRun.done]);
    expect(fromNowRun.deliveries.map((delivery) => requestIdOf(delivery.event))).toEqual([after]);
    expect(historyRun.deliveries.map((delivery) => requestIdOf(delivery.event))).toEqual([before, after]);
  });

  it('ends a blocked read at once on close(), and closes its connection', async () => {
    const { prefix } = deployment();
    const name = `close-test-${randomUUID().slice(0, 8)}`;
    const own = new Redis(testRedis.url, { connectionName: name });
    try {
      const subscription = subscribe(options(prefix, { redis: own, blockMs: 30_000 }));
      const run = collect(subscription);
      const clients = async () =>
        String(await redis.client('LIST'))
          .split('\n')
          .filter((line) => line.includes(` name=${name} `));
      await waitUntil(
        async () =>
          (await clients()).some((line) => line.includes('cmd=xreadgroup') && /flags=\S*b/.test(line)),
        { what: 'the subscriber to block on XREADGROUP' },
      );
      const started = Date.now();
      await subscription.close();
      await run.done;
      // Well before the 30 s block would have run out.
      expect(Date.now() - started).toBeLessThan(10_000);
      await waitUntil(async () => (await clients()).length === 1, {
        what: 'only the caller connection left',
      });
    } finally {
      own.disconnect();
    }
  });

  it('refuses bad options with a clear error', () => {
    expect(() => subscribe(options('{aiqum-jobs}', { group: '' }))).toThrow(ConfigError);
    expect(() => subscribe(options('no-hash-tag'))).toThrow(/subscribe options prefix/);
    expect(() => subscribe(options('{aiqum-jobs}', { startId: 'latest' }))).toThrow(/startId/);
    expect(() =>
      subscribe(options('{aiqum-jobs}', { types: ['request.done' as AiqumJobsEvent['type']] })),
    ).toThrow(/types\[0\]: must be one of request.accepted/);
  });
});
