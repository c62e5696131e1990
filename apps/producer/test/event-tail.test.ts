import type { RequestSpec } from '@aiqum-jobs/contracts';
import { RedisServer } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ProducerApiClient } from '../src/api-client.js';
import type { StreamedEvent } from '../src/index.js';
import { type Harness, lastEventId, ownTestRedis, queuedBatch, startHarness, testToken } from './harness.js';

// A Redis of the test's own: CLIENT LIST shows this producer's connections only.
let h: Harness;
let baseUrl: string;
let client: ProducerApiClient;

beforeAll(async () => {
  const redisServer = await RedisServer.start();
  // A small buffer per follower: a follower that does not read overflows after a few events.
  h = await startHarness({ testRedis: ownTestRedis(redisServer, 'event-tail'), eventsBufferSize: 5 });
  baseUrl = await h.server.listen({ host: '127.0.0.1', port: 0 });
  client = new ProducerApiClient({ baseUrl, token: testToken });
});
afterAll(() => h.close());

async function clientList(): Promise<string[]> {
  const list = String(await h.redis.client('LIST'));
  return list.split('\n').filter((line) => line.trim() !== '');
}

async function xreadConnections(): Promise<number> {
  return (await clientList()).filter((line) => line.includes('cmd=xread')).length;
}

/** Completes the specs one after another, as workers would. */
async function completeAll(specs: readonly RequestSpec[]): Promise<void> {
  for (const spec of specs) await h.store.completion.complete(spec, {}, { outcome: 'succeeded' });
}

/** Every event of the stream after `after` of one batch, read directly: what each follower must see. */
async function retainedIds(batchId: string, after: string): Promise<string[]> {
  const entries = await h.redis.xrange(h.keys.events, `(${after}`, '+');
  return entries.filter(([, fields]) => fields.join(' ').includes(batchId)).map(([streamId]) => streamId);
}

/** Reads a library iteration until the batch's `batch.completed`. */
async function untilBatchCompleted(events: AsyncIterable<StreamedEvent>): Promise<string[]> {
  const ids: string[] = [];
  for await (const { streamId, event } of events) {
    ids.push(streamId);
    if (event.type === 'batch.completed') break;
  }
  return ids;
}

describe('the event tail shared by the streams of one producer', () => {
  it('serves N concurrent SSE clients from one Redis connection, and closes it when the last leaves', async () => {
    const { batchId, specs } = await queuedBatch(h, 3);
    const after = await lastEventId(h);
    const connectionsBefore = (await clientList()).length;
    const controller = new AbortController();
    // Each client keeps its stream open after the batch's last event, until the abort.
    const clients = Array.from({ length: 6 }, () => {
      const ids: string[] = [];
      let resolve: (ids: string[]) => void = () => {};
      const completed = new Promise<string[]>((done) => {
        resolve = done;
      });
      const reading = (async () => {
        for await (const { streamId, event } of client.events({
          batchId,
          after,
          signal: controller.signal,
        })) {
          ids.push(streamId);
          if (event.type === 'batch.completed') resolve(ids);
        }
      })();
      return { completed, reading };
    });
    await vi.waitFor(async () => expect(await xreadConnections()).toBe(1));
    await completeAll(specs);
    const received = await Promise.all(clients.map(({ completed }) => completed));

    const expected = await retainedIds(batchId, after);
    expect(expected).toHaveLength(4);
    for (const ids of received) expect(ids).toEqual(expected);
    // Six open streams, one blocking XREAD: the tail's connection is the only one they added.
    expect(await xreadConnections()).toBe(1);
    expect((await clientList()).length).toBe(connectionsBefore + 1);
    controller.abort();
    await Promise.all(clients.map(({ reading }) => reading));
    await vi.waitFor(async () => expect(await xreadConnections()).toBe(0));
  });

  it('gives followers that join while events are added, from an earlier position, every event once and in order', async () => {
    const { batchId, specs } = await queuedBatch(h, 40);
    const after = await lastEventId(h);
    const followers: Promise<string[]>[] = [];
    for (const [index, spec] of specs.entries()) {
      // Each joins mid-flow: it reads the backlog (XRANGE), then moves over to the tail.
      if (index % 6 === 0) followers.push(untilBatchCompleted(h.producer.events({ batchId, after })));
      await h.store.completion.complete(spec, {}, { outcome: 'succeeded' });
    }
    const expected = await retainedIds(batchId, after);
    expect(expected).toHaveLength(41);
    for (const ids of await Promise.all(followers)) expect(ids).toEqual(expected);
  });

  it('does not let a follower that stops reading hold up the others; it resumes from where it was', async () => {
    const { batchId, specs } = await queuedBatch(h, 30);
    const after = await lastEventId(h);
    const slow = h.producer.events({ batchId, after });
    const slowFirst = slow.next();
    const fast = untilBatchCompleted(h.producer.events({ batchId, after }));
    await vi.waitFor(async () => expect(await xreadConnections()).toBe(1));
    await completeAll(specs);

    const expected = await retainedIds(batchId, after);
    expect(expected).toHaveLength(31);
    // The fast one has everything while the slow one, its buffer of 5 long overflowed, has read one event.
    expect(await fast).toEqual(expected);
    const first = await slowFirst;
    const slowIds = [first.value?.streamId ?? '', ...(await untilBatchCompleted(slow))];
    expect(slowIds).toEqual(expected);
  });
});
