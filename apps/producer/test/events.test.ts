import { connect } from 'node:net';
import type { RequestSpec } from '@aiqum-jobs/contracts';
import { waitUntil } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ProducerApiClient } from '../src/api-client.js';
import {
  type Harness,
  queuedBatch as harnessQueuedBatch,
  lastEventId,
  startHarness,
  testToken,
} from './harness.js';

let h: Harness;
let baseUrl: string;
let client: ProducerApiClient;

beforeAll(async () => {
  h = await startHarness({ heartbeatMs: 50 });
  baseUrl = await h.server.listen({ host: '127.0.0.1', port: 0 });
  client = new ProducerApiClient({ baseUrl, token: testToken });
});
afterAll(() => h.close());

const queuedBatch = (count: number) => harnessQueuedBatch(h, count);

async function xreadClients(): Promise<number> {
  const list = String(await h.testRedis.connect().client('LIST'));
  return list.split('\n').filter((line) => line.includes('cmd=xread')).length;
}

describe('GET /v1/events over a real socket', () => {
  it('with follow=false answers the retained events and ends the stream, holding no XREAD', async () => {
    const { batchId, specs } = await queuedBatch(2);
    const [first, second] = specs as [RequestSpec, RequestSpec];
    await h.store.completion.complete(first, {}, { outcome: 'succeeded' });
    await h.store.completion.complete(second, {}, { outcome: 'failed' });
    const retained: string[] = [];
    for await (const { streamId, event } of client.events({ batchId, follow: false })) {
      retained.push(streamId);
      expect(event.batchId).toBe(batchId);
    }
    expect(retained).toHaveLength(3);
    expect(await xreadClients()).toBe(0);
    // After the last of them, nothing is retained: the stream ends at once.
    const after = client.events({ batchId, follow: false, after: retained[2] ?? '' });
    expect((await after.next()).done).toBe(true);
  });

  it('streams the events of one batch, and resumes after Last-Event-ID', async () => {
    const { batchId, specs } = await queuedBatch(2);
    const other = await queuedBatch(1);
    const controller = new AbortController();
    const received: Array<{ streamId: string; type: string; requestId?: string }> = [];
    const reading = (async () => {
      for await (const { streamId, event } of client.events({ batchId, signal: controller.signal })) {
        received.push({
          streamId,
          type: event.type,
          ...('requestId' in event ? { requestId: event.requestId } : {}),
        });
        if (event.type === 'batch.completed') controller.abort();
      }
    })();
    // The stream is open once Redis holds its XREAD.
    await vi.waitFor(async () => expect(await xreadClients()).toBeGreaterThan(0));

    const [first, second] = specs as [RequestSpec, RequestSpec];
    await h.store.completion.complete(other.specs[0] as RequestSpec, {}, { outcome: 'failed' });
    await h.store.completion.complete(first, {}, { outcome: 'succeeded' });
    await h.store.completion.complete(second, {}, { outcome: 'unknown' });
    await reading;

    expect(received.map((event) => [event.type, event.requestId])).toEqual([
      ['request.completed', first.requestId],
      ['request.completed', second.requestId],
      ['batch.completed', undefined],
    ]);
    // The client went away: its XREAD connection is closed.
    await vi.waitFor(async () => expect(await xreadClients()).toBe(0));

    const firstId = received[0]?.streamId ?? '';
    const response = await fetch(
      `${baseUrl}/v1/events?batchId=${batchId}&types=request.completed,batch.completed`,
      {
        headers: { authorization: `Bearer ${testToken}`, 'last-event-id': firstId },
      },
    );
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body?.getReader();
    let text = '';
    while (!text.includes('event: batch.completed')) {
      const chunk = await reader?.read();
      if (chunk === undefined || chunk.done) throw new Error('the stream ended early');
      text += new TextDecoder().decode(chunk.value);
    }
    await reader?.cancel();
    expect(text).not.toContain(first.requestId);
    expect(text).toContain(`id: ${received[1]?.streamId}\nevent: request.completed\ndata: {`);
    expect(text).toContain(second.requestId);
  });

  it('filters by type and sends heartbeats while idle', async () => {
    const { specs } = await queuedBatch(1);
    const response = await fetch(`${baseUrl}/v1/events?types=batch.completed&after=0`, {
      headers: { authorization: `Bearer ${testToken}` },
    });
    const reader = response.body?.getReader();
    let text = '';
    const spec = specs[0] as RequestSpec;
    await h.store.completion.complete(spec, {}, { outcome: 'succeeded' });
    while (!(text.includes(spec.batchId ?? 'none') && text.includes(': heartbeat'))) {
      const chunk = await reader?.read();
      if (chunk === undefined || chunk.done) throw new Error('the stream ended early');
      text += new TextDecoder().decode(chunk.value);
    }
    await reader?.cancel();
    expect(text).not.toContain('event: request.completed');
    expect(text).toContain('event: batch.completed');
  });

  it('disconnects a client that stops reading; it resumes after its last event, missing nothing', async () => {
    const { specs } = await queuedBatch(1);
    const after = await lastEventId(h);
    await h.store.completion.complete(specs[0] as RequestSpec, {}, { outcome: 'succeeded' });
    const [[, fields] = ['', []]] = await h.redis.xrange(h.keys.events, `(${after}`, '+', 'COUNT', 1);
    const port = new URL(baseUrl).port;
    const socket = connect(Number(port), '127.0.0.1');
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => {});
    socket.write(
      `GET /v1/events?after=${after} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${testToken}\r\n\r\n`,
    );
    // It reads nothing from here on, while far more events than socket buffers hold are added.
    socket.pause();
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
    });
    const inspector = h.testRedis.connect();
    for (let round = 0; round < 40; round += 1) {
      const pipeline = inspector.pipeline();
      for (let index = 0; index < 1_000; index += 1) pipeline.xadd(h.keys.events, '*', ...fields);
      await pipeline.exec();
    }
    // A paused socket notices nothing: reading again, the client gets what was sent, then the end of the
    // stream, which a following stream never has unless the server closes it.
    await waitUntil(() => h.logs.text().includes('event stream client read nothing') || undefined, {
      what: 'the server to disconnect the client',
    });
    socket.resume();
    await closed;
    // Complete messages only: a message cut off by the disconnection is not one the client has.
    const ids = [...received.matchAll(/^id: (\S+)\nevent: \S+\ndata: .*\n\n/gm)].map(
      (match) => match[1] ?? '',
    );
    const all = await h.redis.xlen(h.keys.events);
    const before = (await h.redis.xrange(h.keys.events, '-', after)).length;
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.length).toBeLessThan(all - before);
    // Resuming after the last event it got gives it the rest, as an EventSource would with Last-Event-ID.
    let rest = 0;
    for await (const _event of client.events({ follow: false, after: ids.at(-1) ?? '' })) rest += 1;
    expect(ids.length + rest).toBe(all - before);
    await h.redis.xtrim(h.keys.events, 'MAXLEN', 0);
  });

  it('refuses bad filters with 400', async () => {
    for (const query of ['types=request.exploded', 'after=yesterday', 'color=red']) {
      const response = await fetch(`${baseUrl}/v1/events?${query}`, {
        headers: { authorization: `Bearer ${testToken}` },
      });
      expect(response.status, query).toBe(400);
      await response.body?.cancel();
    }
  });

  it('needs a token like every other route', async () => {
    const response = await fetch(`${baseUrl}/v1/events`);
    expect(response.status).toBe(401);
    await response.body?.cancel();
  });

  it('is used by the library too', async () => {
    const { specs } = await queuedBatch(1);
    const controller = new AbortController();
    const spec = specs[0] as RequestSpec;
    const seen = (async () => {
      for await (const { event } of h.producer.events({
        types: ['request.completed'],
        after: '0',
        signal: controller.signal,
      })) {
        if (event.type === 'request.completed' && event.requestId === spec.requestId) {
          controller.abort();
          return event;
        }
      }
      return undefined;
    })();
    await h.store.completion.complete(spec, {}, { outcome: 'timed_out' });
    expect(await seen).toMatchObject({
      requestId: spec.requestId,
      outcome: 'timed_out',
      batchId: spec.batchId,
    });
  });
});
