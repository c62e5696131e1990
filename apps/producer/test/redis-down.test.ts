import { randomUUID } from 'node:crypto';
import { RedisServer, waitUntil } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, type Harness, labLun, ownTestRedis, startHarness } from './harness.js';

describe('while Redis is unreachable', () => {
  let redisServer: RedisServer;
  let h: Harness;
  let prefix: string;

  beforeAll(async () => {
    redisServer = await RedisServer.start();
    const testRedis = ownTestRedis(redisServer, 'down');
    prefix = testRedis.prefix;
    h = await startHarness({ testRedis });
  });
  afterAll(() => h.close());

  it('answers 503 within one command timeout while Redis hangs, and leaves nothing stored once it resumes', async () => {
    expect((await h.server.inject({ url: '/readyz' })).statusCode).toBe(200);
    // What the producer logged: why each POST failed, and the undo and the release that failed after it.
    const logged = (message: string) => h.logs.lines().filter((line) => line.msg === message);
    const undoFailed = 'stored requests could not be removed after a failure';
    const releaseFailed =
      'an Idempotency-Key claim could not be released; retries with the key are told "in progress" until it expires';
    await redisServer.pause();
    try {
      const post = (headers: Record<string, string>) =>
        h.server.inject({
          method: 'POST',
          url: '/v1/requests',
          headers: { ...auth, ...headers },
          payload: labLun,
        });
      const answers = await Promise.all([post({}), post({ 'idempotency-key': `down-${randomUUID()}` })]);
      for (const response of answers) {
        expect(response.statusCode).toBe(503);
        expect(response.json().error.code).toBe('STORE_UNAVAILABLE');
      }
      // Each answer came from its first command's timeout: the create's and the key claim's. The undo
      // and the release sent after them had not timed out yet, so the answers did not wait for them.
      expect(logged('Redis operation failed').map((line) => JSON.stringify(line.err))).toEqual([
        expect.stringContaining('Command timed out'),
        expect.stringContaining('Command timed out'),
      ]);
      expect([logged(undoFailed), logged(releaseFailed)]).toEqual([[], []]);
      // Redis hangs on past the undo's and the release's own timeouts: they must still run when it resumes.
      await waitUntil(() => logged(undoFailed).length === 1 && logged(releaseFailed).length === 1, {
        what: 'the undo and the release to time out',
      });
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

    const logged = h.logs.lines().length;
    const response = await h.server.inject({
      method: 'POST',
      url: '/v1/requests',
      headers: auth,
      payload: labLun,
    });
    expect(response.statusCode).toBe(503);
    // Refused at once for want of a connection (no offline queue), not after waiting for one.
    expect(h.logs.lines().slice(logged)).toContainEqual(
      expect.objectContaining({
        msg: 'Redis operation failed',
        err: expect.objectContaining({
          message: "Stream isn't writeable and enableOfflineQueue options is false",
        }),
      }),
    );
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
