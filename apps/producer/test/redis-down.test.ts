import { randomUUID } from 'node:crypto';
import { RedisServer } from '@aiqum-jobs/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, type Harness, labLun, startHarness } from './harness.js';

describe('while Redis is unreachable', () => {
  let redisServer: RedisServer;
  let h: Harness;
  const connections: Redis[] = [];
  const prefix = `{down-${randomUUID().slice(0, 8)}}`;

  beforeAll(async () => {
    redisServer = await RedisServer.start();
    h = await startHarness({
      testRedis: {
        url: redisServer.url,
        prefix,
        connect: () => {
          const redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
          redis.on('error', () => {});
          connections.push(redis);
          return redis;
        },
        close: async () => {
          for (const redis of connections) redis.disconnect();
          await redisServer.stop();
        },
      },
    });
  });
  afterAll(() => h.close());

  it('answers 503 within one command timeout while Redis hangs, and leaves nothing stored once it resumes', async () => {
    expect((await h.server.inject({ url: '/readyz' })).statusCode).toBe(200);
    redisServer.signal('SIGSTOP');
    try {
      const post = (headers: Record<string, string>) =>
        h.server.inject({
          method: 'POST',
          url: '/v1/requests',
          headers: { ...auth, ...headers },
          payload: labLun,
        });
      // The harness's command timeout is 2 s. Every answer must come from the first timed-out command,
      // not wait for the undo of the enqueue or the release of the key as well (4 s or more).
      const started = Date.now();
      const answers = await Promise.all([post({}), post({ 'idempotency-key': `down-${randomUUID()}` })]);
      const answeredAfterMs = Date.now() - started;
      // Redis hangs on past the undo's and the release's own timeouts: they must still run when it resumes.
      await new Promise((resolve) => setTimeout(resolve, started + 4_500 - Date.now()));
      expect(answeredAfterMs).toBeLessThan(3_500);
      for (const response of answers) {
        expect(response.statusCode).toBe(503);
        expect(response.json().error.code).toBe('STORE_UNAVAILABLE');
      }
    } finally {
      redisServer.signal('SIGCONT');
    }
    // The producer's connection is ordered: once this PING answers, the creates, their undo and the
    // release of the idempotency key have run.
    await h.redis.ping();
    expect(await h.footprint()).toEqual({ jobs: 0, events: 0, keys: 0 });
    expect(await h.redis.keys(`${prefix}:idempotency:*`)).toEqual([]);
  });

  it('answers 503 at once when Redis is gone, on /readyz and on submissions', async () => {
    await redisServer.stop();
    const ready = await h.server.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);

    const started = Date.now();
    const response = await h.server.inject({
      method: 'POST',
      url: '/v1/requests',
      headers: auth,
      payload: labLun,
    });
    expect(response.statusCode).toBe(503);
    // A bound on hanging, not a speed target: without the offline queue this fails at once.
    expect(Date.now() - started).toBeLessThan(3_000);
    const batch = await h.server.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: auth,
      payload: { requests: [labLun] },
    });
    expect(batch.statusCode).toBe(503);
    expect((await h.server.inject({ url: '/v1/requests/abc', headers: auth })).statusCode).toBe(503);
  });
});
