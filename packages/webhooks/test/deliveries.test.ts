import { Secret } from '@aiqum-jobs/core';
import { type HttpReceiver, startHttpReceiver, waitUntil } from '@aiqum-jobs/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyWebhookSignature, webhookHeaders } from '../src/index.js';
import { batchCompletedEvent, completedEvent, type Harness, startHarness } from './harness.js';

let h: Harness | undefined;
const receivers: HttpReceiver[] = [];

afterEach(async () => {
  await h?.close();
  h = undefined;
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

async function receiver(...args: Parameters<typeof startHttpReceiver>): Promise<HttpReceiver> {
  const started = await startHttpReceiver(...args);
  receivers.push(started);
  return started;
}

/** Waits until every delivery job is finished, `finished` of them in all. */
async function settled(harness: Harness, finished: number) {
  return waitUntil(
    async () => {
      const counts = await harness.queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed');
      const pending = (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0);
      return pending === 0 && (counts.completed ?? 0) + (counts.failed ?? 0) === finished && counts;
    },
    { what: `${finished} finished deliveries` },
  );
}

function header(request: HttpReceiver['requests'][number], name: string): string {
  const value = request.headers[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

describe('webhook deliveries', () => {
  it('delivers each event at least once to each matching subscription, signed, with the stable event id', async () => {
    const hooks = await receiver();
    h = await startHarness({
      subscriptions: [
        {
          id: 'from-config',
          url: `${hooks.url}/config`,
          types: ['batch.completed'],
          secret: new Secret('config-secret-0123456789'),
          source: 'config',
        },
      ],
    });
    const all = await h.subscribe({ url: `${hooks.url}/all` });
    const completedOnly = await h.subscribe({ url: `${hooks.url}/completed`, types: ['request.completed'] });
    const batchOne = await h.subscribe({ url: `${hooks.url}/batch-one?team=storage`, batchId: 'b1' });
    await h.subscribe({ url: `${hooks.url}/accepted`, types: ['request.accepted'] });
    await h.subscribe({ url: `${hooks.url}/batch-two`, batchId: 'b2' });
    const secrets = new Map([
      ['/all', all.secret],
      ['/completed', completedOnly.secret],
      ['/batch-one?team=storage', batchOne.secret],
      ['/config', 'config-secret-0123456789'],
    ]);
    await h.startWorker();

    const inBatch = completedEvent('b1');
    const single = completedEvent();
    const batchDone = batchCompletedEvent('b1');
    const ids = await h.fanOut.enqueueDeliveries(inBatch);
    expect(ids.sort()).toEqual(
      [all.id, completedOnly.id, batchOne.id].map((id) => `${id}:${inBatch.id}`).sort(),
    );
    await h.fanOut.enqueueDeliveries(single);
    await h.fanOut.enqueueDeliveries(batchDone);
    // The same event fanned out again, as after a subscriber crash: the same deliveries, nothing new.
    expect((await h.fanOut.enqueueDeliveries(inBatch)).sort()).toEqual(ids.sort());
    await settled(h, 8);

    const received = hooks.requests.map(
      (request) => `${request.url} ${header(request, webhookHeaders.eventId)}`,
    );
    expect(received.sort()).toEqual(
      [
        `/all ${inBatch.id}`,
        `/all ${single.id}`,
        `/all ${batchDone.id}`,
        `/completed ${inBatch.id}`,
        `/completed ${single.id}`,
        `/batch-one?team=storage ${inBatch.id}`,
        `/batch-one?team=storage ${batchDone.id}`,
        `/config ${batchDone.id}`,
      ].sort(),
    );
    for (const request of hooks.requests) {
      expect(request.method).toBe('POST');
      expect(header(request, 'content-type')).toBe('application/json');
      const event = JSON.parse(request.body) as { id: string };
      expect(header(request, webhookHeaders.eventId)).toBe(event.id);
      const verified = verifyWebhookSignature({
        secret: secrets.get(request.url) ?? '',
        body: request.body,
        timestamp: header(request, webhookHeaders.timestamp),
        signature: header(request, webhookHeaders.signature),
      });
      expect(verified, request.url).toBe(true);
    }
    expect(JSON.parse(hooks.requests.find((request) => request.url === '/config')?.body ?? '{}')).toEqual(
      batchDone,
    );
  });

  it('retries network timeouts, 5xx, 408 and 429 with backoff, then delivers', async () => {
    const hooks = await receiver(
      (_request, index) =>
        [
          { delayMs: 1_500 },
          { status: 500 },
          { status: 408 },
          { status: 429, headers: { 'retry-after': '0' } },
          { status: 503 },
        ][index] ?? { status: 200 },
    );
    h = await startHarness({ maxAttempts: 8, timeoutMs: 500 });
    const subscription = await h.subscribe({ url: `${hooks.url}/hook` });
    await h.startWorker();
    const event = completedEvent();
    await h.fanOut.enqueueDeliveries(event);
    const counts = await settled(h, 1);
    expect(counts.completed).toBe(1);
    expect(hooks.requests).toHaveLength(6);
    expect(h.attempts).toEqual(['failed', 'failed', 'failed', 'failed', 'failed', 'delivered']);
    for (const request of hooks.requests) expect(header(request, webhookHeaders.eventId)).toBe(event.id);
    expect((await h.deadLetters.list(subscription.id, { offset: 0, limit: 10 })).total).toBe(0);
  });

  it("honours a receiver's Retry-After over its own backoff", async () => {
    const hooks = await receiver((_request, index) =>
      index === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 204 },
    );
    // Its own backoff would wait 30 to 60 s (past the wait for the delivery below), a retry at once 0 s.
    h = await startHarness({ backoffMs: 60_000, maxDelayMs: 120_000 });
    await h.subscribe({ url: `${hooks.url}/hook` });
    await h.startWorker();
    await h.fanOut.enqueueDeliveries(completedEvent());
    expect((await settled(h, 1)).completed).toBe(1);
    // Measured between the receiver's own arrivals: the retry came 1 s after the 429, give or take the
    // queue's scheduling.
    const [first, second] = hooks.requests;
    const waitedMs = (second?.receivedAt ?? 0) - (first?.receivedAt ?? 0);
    expect(waitedMs).toBeGreaterThanOrEqual(1_000);
    expect(waitedMs).toBeLessThan(1_000 + 10_000);
  });

  it('does not retry other 4xx answers: the delivery is dead-lettered at once', async () => {
    const hooks = await receiver(() => ({ status: 400 }));
    h = await startHarness({ maxAttempts: 5 });
    const subscription = await h.subscribe({ url: `${hooks.url}/hook` });
    await h.startWorker();
    const event = completedEvent();
    await h.fanOut.enqueueDeliveries(event);
    expect((await settled(h, 1)).failed).toBe(1);
    expect(hooks.requests).toHaveLength(1);
    const page = await h.deadLetters.list(subscription.id, { offset: 0, limit: 10 });
    expect(page.deadLetters).toMatchObject([
      { attempts: 1, lastError: 'answered 400', event: { id: event.id } },
    ]);
  });

  it('does not follow redirects: a 3xx is an answer like other 4xx, dead-lettered at once', async () => {
    const elsewhere = await receiver();
    const redirecting = await receiver((request) => ({
      status: Number(request.url.slice(1)),
      headers: { location: `${elsewhere.url}/stolen` },
    }));
    h = await startHarness({ maxAttempts: 5 });
    const statuses = [301, 302, 303, 307, 308];
    const subscriptions: string[] = [];
    for (const status of statuses)
      subscriptions.push((await h.subscribe({ url: `${redirecting.url}/${status}` })).id);
    await h.startWorker();
    await h.fanOut.enqueueDeliveries(completedEvent());
    expect((await settled(h, statuses.length)).failed).toBe(statuses.length);
    expect(elsewhere.requests).toEqual([]);
    expect(redirecting.requests.map((request) => request.url).sort()).toEqual(
      statuses.map((status) => `/${status}`),
    );
    expect(h.attempts).toEqual(Array(statuses.length).fill('dead_lettered'));
    for (const [index, status] of statuses.entries()) {
      const page = await h.deadLetters.list(subscriptions[index] ?? '', { offset: 0, limit: 10 });
      expect(page.deadLetters).toMatchObject([{ attempts: 1, lastError: `answered ${status}` }]);
    }
  });

  it('dead-letters a delivery after its last attempt, lists it, and delivers it when replayed', async () => {
    const hooks = await receiver(() => ({ status: 500 }));
    h = await startHarness({ maxAttempts: 3 });
    const subscription = await h.subscribe({ url: `${hooks.url}/hook` });
    const other = await h.subscribe({ url: `${hooks.url}/other`, types: ['request.accepted'] });
    await h.startWorker();
    const event = completedEvent();
    const [deliveryId = ''] = await h.fanOut.enqueueDeliveries(event);
    expect((await settled(h, 1)).failed).toBe(1);
    expect(hooks.requests).toHaveLength(3);
    expect(h.attempts).toEqual(['failed', 'failed', 'dead_lettered']);

    const page = await h.deadLetters.list(subscription.id, { offset: 0, limit: 10 });
    expect(page).toMatchObject({
      total: 1,
      deadLetters: [{ deliveryId, subscriptionId: subscription.id, attempts: 3, lastError: 'answered 500' }],
    });
    expect(page.deadLetters[0]?.event).toEqual(event);
    expect((await h.deadLetters.list(other.id, { offset: 0, limit: 10 })).total).toBe(0);
    expect(await h.deadLetters.replay(other.id, deliveryId)).toBe(false);
    expect(await h.deadLetters.replay(subscription.id, `${subscription.id}:nothing:completed`)).toBe(false);

    hooks.respondWith(() => ({ status: 202 }));
    expect(await h.deadLetters.replay(subscription.id, deliveryId)).toBe(true);
    expect((await settled(h, 1)).completed).toBe(1);
    expect(hooks.requests).toHaveLength(4);
    expect(h.attempts).toEqual(['failed', 'failed', 'dead_lettered', 'delivered']);
    expect(
      header(
        hooks.requests[3] ?? { headers: {}, url: '', method: '', body: '', receivedAt: 0 },
        webhookHeaders.eventId,
      ),
    ).toBe(event.id);
    expect(await h.deadLetters.list(subscription.id, { offset: 0, limit: 10 })).toEqual({
      total: 0,
      deadLetters: [],
    });
    expect(await h.deadLetters.replay(subscription.id, deliveryId)).toBe(false);
  });

  it('never has more deliveries in flight to one origin than the limit, across workers', async () => {
    const busy = await receiver(() => ({ status: 204, delayMs: 100 }));
    h = await startHarness({ maxPerOrigin: 2 });
    for (const path of ['/a', '/b', '/c']) await h.subscribe({ url: `${busy.url}${path}` });
    await h.startWorker({ concurrency: 10 });
    await h.startWorker({ concurrency: 10 });
    for (let index = 0; index < 6; index += 1) await h.fanOut.enqueueDeliveries(completedEvent());
    await settled(h, 18);
    expect(busy.requests).toHaveLength(18);
    expect(busy.maxConcurrent).toBe(2);
    // Waiting for a slot is not an attempt.
    expect(h.attempts).toEqual(Array(18).fill('delivered'));
    expect(await h.redis.zcard(h.keys.webhookOriginInFlight(busy.url))).toBe(0);
  });

  it('checks the allowlist again at delivery, by address and by host name', async () => {
    const hooks = await receiver();
    // Subscriptions made while loopback was allowed; the worker's allowlist no longer allows it.
    h = await startHarness({ allowPrivate: true });
    const byName = await h.subscribe({ url: `http://localhost:${hooks.port}/name` });
    const byAddress = await h.subscribe({ url: `${hooks.url}/address` });
    await h.startWorker({ allowPrivate: false, allowedNetworks: [], maxAttempts: 5 });
    await h.fanOut.enqueueDeliveries(completedEvent());
    expect((await settled(h, 2)).failed).toBe(2);
    expect(hooks.requests).toHaveLength(0);
    expect(h.attempts).toEqual(['dead_lettered', 'dead_lettered']);
    for (const { id } of [byName, byAddress]) {
      const [deadLetter] = (await h.deadLetters.list(id, { offset: 0, limit: 10 })).deadLetters;
      expect(deadLetter?.attempts).toBe(1);
      expect(deadLetter?.lastError).toMatch(/is a loopback address/);
    }
  });

  it('drops the deliveries of a subscription deleted before their turn', async () => {
    const hooks = await receiver();
    h = await startHarness();
    const subscription = await h.subscribe({ url: `${hooks.url}/hook` });
    await h.fanOut.enqueueDeliveries(completedEvent());
    expect(await h.subscriptions.delete(subscription.id)).toBe('deleted');
    await h.startWorker();
    expect((await settled(h, 1)).completed).toBe(1);
    expect(hooks.requests).toHaveLength(0);
    expect(h.attempts).toEqual([]);
  });
});
