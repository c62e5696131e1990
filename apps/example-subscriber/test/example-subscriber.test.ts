import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createRedisKeys, type RequestSpec } from '@aiqum-jobs/contracts';
import { RequestStore } from '@aiqum-jobs/core';
import { lunRequest, TestProcess, type TestRedis, useTestRedis, waitUntil } from '@aiqum-jobs/test-support';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/aiqum-example-subscriber.js', import.meta.url));

let testRedis: TestRedis;
let redis: Redis;

beforeAll(async () => {
  testRedis = await useTestRedis();
  redis = testRedis.connect();
});
afterAll(() => testRedis.close());

function spec(overrides: Partial<RequestSpec> = {}): RequestSpec {
  const now = Date.now();
  return {
    requestId: randomUUID(),
    target: 'lab',
    ...lunRequest('lun'),
    createdAt: now,
    deadlineAt: now + 60_000,
    retryAmbiguous: false,
    ...overrides,
  };
}

/** The lines the example printed on its standard output. */
const linesOf = (example: TestProcess) => example.stdout.split('\n').filter(Boolean);

describe('aiqum-example-subscriber', () => {
  it('prints one line per completion written by the request store, then stops on SIGTERM with nothing pending', async () => {
    const keys = createRedisKeys(testRedis.prefix);
    const store = new RequestStore({ redis, keys, retentionSeconds: 3_600 });
    const batchId = randomUUID();
    const [ok, rejected] = [spec({ batchId }), spec({ batchId })];
    if (!ok || !rejected) throw new Error('no specs');
    await store.records.create([ok, rejected], { batchId });
    await store.completion.complete(ok, {}, { outcome: 'succeeded' });
    await store.completion.complete(
      rejected,
      {},
      { outcome: 'failed', error: { code: 'AIQUM_CONFLICT', message: 'duplicate name', httpStatus: 409 } },
    );

    // The built example; it has no readiness to wait for: the lines it prints are awaited below.
    const example = await TestProcess.start({
      args: [bin],
      env: {
        REDIS_URL: testRedis.url,
        AIQUM_JOBS_PREFIX: testRedis.prefix,
        SUBSCRIBER_GROUP: 'printer',
        LOG_LEVEL: 'warn',
      },
    });
    void example.exited.then(({ code }) => {
      if (code !== 0) process.stderr.write(`example subscriber exited with ${code}:\n${example.stderr}`);
    });
    try {
      // A group created now starts at the retained history: the completions written before it are printed.
      await waitUntil(() => linesOf(example).length >= 3 || undefined, { what: 'three lines' });
      const late = spec();
      await store.records.create([late]);
      await store.completion.complete(late, {}, { outcome: 'cancelled' });
      await waitUntil(() => linesOf(example).length >= 4 || undefined, {
        what: 'the line of a later completion',
      });

      const lines = linesOf(example).map((line) => line.split(' '));
      expect(lines.map((fields) => fields.slice(1, 4))).toEqual([
        ['request.completed', ok.requestId, 'succeeded'],
        ['request.completed', rejected.requestId, 'failed'],
        ['batch.completed', batchId, 'total=2'],
        ['request.completed', late.requestId, 'cancelled'],
      ]);
      expect(lines[1]).toContain('error=AIQUM_CONFLICT');
      expect(lines[2]).toEqual(expect.arrayContaining(['succeeded=1', 'failed=1']));

      expect(await example.stop()).toBe(0);
      const [pending] = (await redis.xpending(keys.events, 'printer')) as [number];
      expect(pending).toBe(0);
    } finally {
      await example.kill();
    }
  });
});
