import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventStream, readEvents, type TestRedis, useTestRedis, waitForEvents } from '../src/index.js';

type Event = { type: 'started' | 'ended'; batchId?: string; n: number };

/** Stands in for core's eventSchema: this package cannot depend on core. */
function parseEvent(value: unknown): Event {
  const event = value as Partial<Event>;
  if ((event.type !== 'started' && event.type !== 'ended') || typeof event.n !== 'number') {
    throw new Error(`not an event: ${JSON.stringify(value)}`);
  }
  return event as Event;
}

let testRedis: TestRedis;
let redis: Redis;
let streams = 0;

beforeAll(async () => {
  testRedis = await useTestRedis();
  redis = testRedis.connect();
});
afterAll(() => testRedis.close());

function newStream(): EventStream<Event> {
  streams += 1;
  return { key: `${testRedis.prefix}:events:${streams}`, field: 'event', schema: { parse: parseEvent } };
}

async function append(stream: EventStream<Event>, ...events: Event[]): Promise<void> {
  for (const event of events) await redis.xadd(stream.key, '*', stream.field, JSON.stringify(event));
}

describe('readEvents', () => {
  it('reads every event in order, or those of the types and batch asked for', async () => {
    const stream = newStream();
    await append(
      stream,
      { type: 'started', batchId: 'b1', n: 1 },
      { type: 'started', n: 2 },
      { type: 'ended', batchId: 'b1', n: 3 },
      { type: 'ended', batchId: 'b2', n: 4 },
    );
    expect((await readEvents(redis, stream)).map((event) => event.n)).toEqual([1, 2, 3, 4]);
    expect((await readEvents(redis, stream, { types: ['ended'] })).map((event) => event.n)).toEqual([3, 4]);
    expect((await readEvents(redis, stream, { batchId: 'b1' })).map((event) => event.n)).toEqual([1, 3]);
    const ended = await readEvents(redis, stream, { types: ['ended'], batchId: 'b1' });
    expect(ended.map((event) => event.n)).toEqual([3]);
  });

  it('fails on an entry without the event field, or whose event does not parse', async () => {
    const missingField = newStream();
    const id = await redis.xadd(missingField.key, '*', 'other', '{}');
    await expect(readEvents(redis, missingField)).rejects.toThrow(`stream entry ${id} has no event field`);
    const unparsed = newStream();
    await redis.xadd(unparsed.key, '*', 'event', '{"type":"unknown"}');
    await expect(readEvents(redis, unparsed)).rejects.toThrow('not an event');
  });
});

describe('waitForEvents', () => {
  it('waits until as many events as asked for have been written, and returns them', async () => {
    const stream = newStream();
    await append(stream, { type: 'ended', n: 1 });
    setTimeout(() => void append(stream, { type: 'started', n: 2 }, { type: 'ended', n: 3 }), 100);
    const ended = await waitForEvents(redis, stream, { types: ['ended'], count: 2, timeoutMs: 5_000 });
    expect(ended.map((event) => event.n)).toEqual([1, 3]);
  });

  it('fails after its timeout, saying what it waited for', async () => {
    const stream = newStream();
    await expect(
      waitForEvents(redis, stream, { types: ['ended'], count: 1, timeoutMs: 100 }),
    ).rejects.toThrow('timed out after 100 ms waiting for 1 ended events');
  });
});
