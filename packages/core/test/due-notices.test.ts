import { randomUUID } from 'node:crypto';
import { createRedisKeys, type RedisKeys, type RequestSpec } from '@aiqum-jobs/contracts';
import { lunRequest, type TestRedis, useTestRedis } from '@aiqum-jobs/test-support';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestStore } from '../src/index.js';

let testRedis: TestRedis;
let redis: Redis;
let subscriber: Redis;
let keys: RedisKeys;
let store: RequestStore;
const notices: string[] = [];

beforeAll(async () => {
  testRedis = await useTestRedis();
  redis = testRedis.connect();
  subscriber = testRedis.connect();
  keys = createRedisKeys(testRedis.prefix);
  store = new RequestStore({ redis, keys, retentionSeconds: 3_600 });
  subscriber.on('message', (_channel: string, target: string) => notices.push(target));
  await subscriber.subscribe(keys.dueChanges);
});
afterAll(() => testRedis.close());

const job = {
  kind: 'aiqum' as const,
  key: 'k:1',
  href: '/api/management-server/jobs/k%3A1',
  source: 'job.key' as const,
};
const roomy = { maxConcurrent: 100, maxPerSecond: 10_000 };

/** Submits a request on `target` and tracks it with its first poll `firstPollDelayMs` from now. */
async function accept(target: string, firstPollDelayMs: number): Promise<RequestSpec> {
  const now = Date.now();
  const spec = {
    requestId: randomUUID(),
    target,
    ...lunRequest('lun'),
    createdAt: now,
    deadlineAt: now + 600_000,
    retryAmbiguous: false,
  };
  await store.records.create([spec]);
  const token = randomUUID();
  await store.submissions.begin(spec.requestId, {
    target,
    limits: roomy,
    leaseId: token,
    token,
    claimLeaseMs: 60_000,
    allowResubmit: false,
    submitLeaseMs: 60_000,
  });
  await store.submissions.acceptJob(
    spec,
    job,
    token,
    { target, leaseId: token },
    {
      delayMs: firstPollDelayMs,
      deadlineAt: spec.deadlineAt,
    },
  );
  return spec;
}

/** The notices published so far (a marker published last, then a pause, lets every earlier one arrive). */
async function received(): Promise<string[]> {
  await redis.publish(keys.dueChanges, 'sync');
  await new Promise((resolve) => setTimeout(resolve, 50));
  return notices.splice(0).filter((target) => target !== 'sync');
}

describe('due notices', () => {
  it('name the target when a poll is scheduled sooner than any its due set held, and only then', async () => {
    await accept('notices', 60_000);
    expect(await received()).toEqual(['notices']);
    await accept('notices', 120_000);
    expect(await received()).toEqual([]);
    const sooner = await accept('notices', 30_000);
    expect(await received()).toEqual(['notices']);
    expect(await store.schedule.pollNow(sooner)).toBe(true);
    expect(await received()).toEqual(['notices']);
  });

  it('follow a recorded poll whose next one comes before the rest', async () => {
    const due = await accept('recorded', 0);
    await accept('recorded', 120_000);
    await received();
    const { claims } = await store.schedule.claim('recorded', {
      limits: roomy,
      max: 10,
      claimMs: 30_000,
      leaseMs: 30_000,
      leaseIdPrefix: randomUUID(),
    });
    // The claim moved the poll later: nobody needs waking.
    expect(claims.map((claim) => claim.requestId)).toEqual([due.requestId]);
    expect(await received()).toEqual([]);
    const [claim] = claims;
    if (!claim) throw new Error('no claim');
    await store.schedule.recordPoll(due.requestId, { phase: 'running' }, undefined, claim.slot, {
      delayMs: 1_000,
      deadlineAt: due.deadlineAt,
    });
    expect(await received()).toEqual(['recorded']);
  });
});
