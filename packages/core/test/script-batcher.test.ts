import { type TestRedis, useTestRedis } from '@aiqum-jobs/test-support';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LuaScript } from '../src/lua-script.js';
import { ScriptBatcher } from '../src/script-batcher.js';

let testRedis: TestRedis;
let redis: Redis;

beforeAll(async () => {
  testRedis = await useTestRedis();
  redis = testRedis.connect();
});
afterAll(() => testRedis.close());

const increment = new LuaScript({
  body: `local counterKey = KEYS[1]
local label, by = ARGV[1], ARGV[2]
return {label, redis.call('INCRBY', counterKey, by)}`,
  keys: ['counter'],
  args: ['label', 'by'],
  reply: z.tuple([z.string(), z.number()]),
});
const readField = new LuaScript({
  body: `return redis.call('HGET', KEYS[1], 'field')`,
  keys: ['hash'],
  args: [],
  reply: z.string().nullable(),
});

/**
 * The real connection, counting the batches sent through it: each batch is one EVALSHA (a script Redis has
 * not seen yet is then sent once more as EVAL, which is not counted).
 */
function counting(connection: Redis): { redis: Redis; batches: () => number } {
  let batches = 0;
  const counted = new Proxy(connection, {
    get(target, property, receiver) {
      if (property === 'evalsha') batches += 1;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { redis: counted, batches: () => batches };
}

describe('ScriptBatcher', () => {
  it('sends calls made together as one command, each with its own result, in order', async () => {
    const { redis: counted, batches } = counting(redis);
    const batcher = new ScriptBatcher(counted, [increment, readField]);
    const key = `${testRedis.prefix}:together`;
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, index) =>
        batcher.run(increment, { keys: { counter: key }, args: { label: `call-${index}`, by: 1 } }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 30 }, (_, index) => [`call-${index}`, index + 1]));
    expect(batches()).toBe(1);
  });

  it('sends calls made while a batch is in flight together in the next one', async () => {
    const { redis: counted, batches } = counting(redis);
    const batcher = new ScriptBatcher(counted, [increment, readField]);
    const key = `${testRedis.prefix}:behind`;
    const first = batcher.run(increment, { keys: { counter: key }, args: { label: 'first', by: 1 } });
    // Let the first batch leave before the others are made.
    await new Promise((resolve) => setImmediate(resolve));
    const behind = Array.from({ length: 10 }, (_, index) =>
      batcher.run(increment, { keys: { counter: key }, args: { label: `behind-${index}`, by: 1 } }),
    );
    expect(await first).toEqual(['first', 1]);
    expect(await Promise.all(behind)).toEqual(
      Array.from({ length: 10 }, (_, index) => [`behind-${index}`, index + 2]),
    );
    expect(batches()).toBe(2);
  });

  it('fails only the call whose script failed; the others in its batch run', async () => {
    const batcher = new ScriptBatcher(redis, [increment, readField]);
    const counter = `${testRedis.prefix}:errors:counter`;
    const notAHash = `${testRedis.prefix}:errors:string`;
    await redis.set(notAHash, 'text');
    const [before, failed, after] = await Promise.allSettled([
      batcher.run(increment, { keys: { counter: counter }, args: { label: 'before', by: 1 } }),
      batcher.run(readField, { keys: { hash: notAHash }, args: {} }),
      batcher.run(increment, { keys: { counter: counter }, args: { label: 'after', by: 1 } }),
    ]);
    expect(before).toEqual({ status: 'fulfilled', value: ['before', 1] });
    expect(failed?.status).toBe('rejected');
    expect(failed?.status === 'rejected' ? String(failed.reason) : '').toMatch(/WRONGTYPE/);
    expect(after).toEqual({ status: 'fulfilled', value: ['after', 2] });
  });

  it('fails every queued call at once when Redis does not answer', async () => {
    const unreachable = testRedis.connect({ maxRetriesPerRequest: 0 });
    unreachable.disconnect();
    const batcher = new ScriptBatcher(unreachable, [increment, readField]);
    const calls = Array.from({ length: 5 }, () =>
      batcher.run(increment, { keys: { counter: `${testRedis.prefix}:never` }, args: { label: 'x', by: 1 } }),
    );
    const settled = await Promise.allSettled(calls);
    expect(settled.map((result) => result.status)).toEqual(Array(5).fill('rejected'));
    expect(await redis.exists(`${testRedis.prefix}:never`)).toBe(0);
  });

  it('refuses a script it was not given', async () => {
    const batcher = new ScriptBatcher(redis, [increment]);
    await expect(batcher.run(readField, { keys: { hash: 'k' }, args: {} })).rejects.toThrow(/not registered/);
  });
});
