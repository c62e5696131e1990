import { createLogger, createRedisKeys, type RedisKeys } from '@aiqum-jobs/contracts';
import { logSink, type TestRedis, useTestRedis, waitUntil } from '@aiqum-jobs/test-support';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStreamTrimmer } from '../src/index.js';

const retentionSeconds = 3_600;
/** Entries added two retentions ago, with explicit ids: old enough to trim unless a group needs them. */
const oldEntries = 250;

let testRedis: TestRedis;
let redis: Redis;
let streams = 0;

beforeAll(async () => {
  testRedis = await useTestRedis();
  redis = testRedis.connect();
});
afterAll(() => testRedis.close());

/** A stream of its own for each test: `oldEntries` old entries, then 5 new ones. Returns all ids. */
async function seededStream(): Promise<{ keys: RedisKeys; old: string[]; fresh: string[] }> {
  streams += 1;
  const keys = createRedisKeys(`${testRedis.prefix}:${streams}`);
  const oldMs = Date.now() - 2 * retentionSeconds * 1_000;
  const old: string[] = [];
  for (let index = 0; index < oldEntries; index += 1) {
    old.push(String(await redis.xadd(keys.events, `${oldMs}-${index}`, 'event', `old ${index}`)));
  }
  const fresh: string[] = [];
  for (let index = 0; index < 5; index += 1) {
    fresh.push(String(await redis.xadd(keys.events, '*', 'event', `new ${index}`)));
  }
  return { keys, old, fresh };
}

async function ids(keys: RedisKeys): Promise<string[]> {
  return (await redis.xrange(keys.events, '-', '+')).map(([id]) => id);
}

function trimmerOf(keys: RedisKeys, overrides: { maxGroupIdleSeconds?: number; now?: () => number } = {}) {
  const logs = logSink();
  const trimmer = new EventStreamTrimmer({
    redis,
    keys,
    retentionSeconds,
    maxGroupIdleSeconds: overrides.maxGroupIdleSeconds ?? 7 * 24 * 3_600,
    logger: createLogger({ name: 'trimmer-test', level: 'debug', destination: logs.destination }),
    ...(overrides.now ? { now: overrides.now } : {}),
  });
  return { trimmer, logs };
}

describe('EventStreamTrimmer', () => {
  it('removes entries older than the retention when no group needs them, and keeps the rest', async () => {
    const { keys, old, fresh } = await seededStream();
    const { trimmer } = trimmerOf(keys);
    const result = await trimmer.trim();
    expect(result.holdingGroups).toEqual([]);
    expect(result.trimmed).toBeGreaterThan(0);
    const left = await ids(keys);
    expect(left).toHaveLength(oldEntries + fresh.length - result.trimmed);
    // Approximate trimming removes whole stream nodes: the oldest entries go, every new one stays.
    expect(left).toEqual([...old.slice(result.trimmed), ...fresh]);
  });

  it('keeps every entry a group has pending or has not read yet', async () => {
    const { keys, old, fresh } = await seededStream();
    // billing read 150 and acknowledged 120 of them: old[120] is its oldest pending entry.
    await redis.xgroup('CREATE', keys.events, 'billing', '0');
    const read = await redis.xreadgroup('GROUP', 'billing', 'c1', 'COUNT', 150, 'STREAMS', keys.events, '>');
    expect(read).not.toBeNull();
    await redis.xack(keys.events, 'billing', ...old.slice(0, 120));
    // audit (no consumer yet) has read nothing after old[60].
    await redis.xgroup('CREATE', keys.events, 'audit', old[60] ?? '');
    const { trimmer } = trimmerOf(keys);

    const first = await trimmer.trim();
    expect(first.minId).toBe(old[61]);
    expect(first.holdingGroups).toEqual(['audit']);
    expect(await ids(keys)).toEqual(expect.arrayContaining([...old.slice(61), ...fresh]));

    await redis.xgroup('DESTROY', keys.events, 'audit');
    const second = await trimmer.trim();
    expect(second.minId).toBe(old[120]);
    expect(second.holdingGroups).toEqual(['billing']);
    expect(second.trimmed).toBeGreaterThan(0);
    const left = await ids(keys);
    expect(left).toEqual(expect.arrayContaining([...old.slice(120), ...fresh]));
    expect(left).not.toContain(old[0]);
    // The entries billing still has pending can be read again from its pending list.
    const pending = await redis.xpending(keys.events, 'billing', '-', '+', 100);
    expect(pending).toHaveLength(30);
  });

  it('lets a group idle beyond the limit hold nothing back, and names it in a warning', async () => {
    const { keys, old, fresh } = await seededStream();
    await redis.xgroup('CREATE', keys.events, 'forgotten', '0');
    await redis.xreadgroup('GROUP', 'forgotten', 'c1', 'COUNT', 10, 'STREAMS', keys.events, '>');
    const { trimmer, logs } = trimmerOf(keys, { maxGroupIdleSeconds: 0.3 });
    const result = await waitUntil(
      async () => {
        const pass = await trimmer.trim();
        return pass.idleGroups.includes('forgotten') ? pass : undefined;
      },
      { timeoutMs: 5_000, intervalMs: 100, what: 'the group to count as idle' },
    );
    expect(result.holdingGroups).toEqual([]);
    expect(result.trimmed).toBeGreaterThan(0);
    expect(await ids(keys)).not.toContain(old[0]);
    expect(await ids(keys)).toEqual(expect.arrayContaining(fresh));
    const warning = logs.lines().find((line) => line.group === 'forgotten');
    expect(warning).toMatchObject({ level: 40, msg: expect.stringContaining('idle too long') });
  });

  it('lets a group no consumer has read yet hold nothing back, and counts it idle from when it was first seen, not 1970', async () => {
    const { keys, old, fresh } = await seededStream();
    await redis.xgroup('CREATE', keys.events, 'unread', '0');
    let now = Date.now();
    const { trimmer, logs } = trimmerOf(keys, { maxGroupIdleSeconds: 60, now: () => now });
    const first = await trimmer.trim();
    expect(first).toMatchObject({ idleGroups: [], holdingGroups: [] });
    expect(first.trimmed).toBeGreaterThan(0);
    expect(await ids(keys)).not.toContain(old[0]);
    expect(await ids(keys)).toEqual(expect.arrayContaining(fresh));
    expect(logs.text()).not.toContain('idle too long');
    now += 61_000;
    expect(await trimmer.trim()).toMatchObject({ idleGroups: ['unread'], holdingGroups: [] });
    expect(logs.lines().find((line) => line.group === 'unread')).toMatchObject({
      level: 40,
      idleSeconds: 61,
    });
  });

  it('trims in one of several trimmers per interval, and does nothing on a missing stream', async () => {
    streams += 1;
    const keys = createRedisKeys(`${testRedis.prefix}:${streams}`);
    const first = trimmerOf(keys).trimmer;
    const second = trimmerOf(keys).trimmer;
    expect(await first.trimIfFirst()).toMatchObject({ trimmed: 0 });
    expect(await second.trimIfFirst()).toBeUndefined();
    expect(await redis.exists(keys.events)).toBe(0);
  });
});
