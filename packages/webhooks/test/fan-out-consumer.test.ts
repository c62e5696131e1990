import { type HttpReceiver, startHttpReceiver, waitUntil } from '@aiqum-jobs/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { fanOutGroup, webhookHeaders } from '../src/index.js';
import { batchCompletedEvent, completedEvent, type Harness, startHarness } from './harness.js';

let h: Harness | undefined;
let hooks: HttpReceiver | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
  await hooks?.close();
  hooks = undefined;
});

/** The deliveries received, as `<path> <event id>`, sorted. */
function received(receiver: HttpReceiver): string[] {
  return receiver.requests
    .map((request) => `${request.url} ${request.headers[webhookHeaders.eventId]}`)
    .sort();
}

/** Events the group has handed out and not acknowledged. */
async function pending(harness: Harness): Promise<number> {
  const [count] = (await harness.redis.xpending(harness.keys.events, fanOutGroup)) as [number];
  return count;
}

describe('the fan-out consumer', () => {
  it('turns each event of the stream into the deliveries of the subscriptions it matches, across consumers', async () => {
    hooks = await startHttpReceiver();
    h = await startHarness();
    await h.subscribe({ url: `${hooks.url}/all` });
    await h.subscribe({ url: `${hooks.url}/batches`, types: ['batch.completed'] });
    await h.startWorker();
    // Two worker processes: each event is fanned out by one of them.
    h.startFanOut({ consumer: 'worker-a' });
    h.startFanOut({ consumer: 'worker-b' });

    const single = completedEvent();
    const inBatch = completedEvent('b1');
    const batchDone = batchCompletedEvent('b1');
    for (const event of [single, inBatch, batchDone]) await h.appendEvent(event);
    await waitUntil(() => hooks?.requests.length === 4, { what: '4 deliveries' });

    expect(received(hooks)).toEqual(
      [`/all ${single.id}`, `/all ${inBatch.id}`, `/all ${batchDone.id}`, `/batches ${batchDone.id}`].sort(),
    );
    expect(await pending(h)).toBe(0);
  });

  it('takes over the events a consumer read and never acknowledged, as when its worker died', async () => {
    hooks = await startHttpReceiver();
    h = await startHarness();
    await h.subscribe({ url: `${hooks.url}/hook` });
    await h.startWorker();
    const event = completedEvent();
    await h.appendEvent(event);
    // A worker that read the event, then died before fanning it out.
    await h.redis.xgroup('CREATE', h.keys.events, fanOutGroup, '0');
    await h.redis.xreadgroup('GROUP', fanOutGroup, 'dead-worker', 'STREAMS', h.keys.events, '>');
    expect(await pending(h)).toBe(1);

    h.startFanOut({ consumer: 'live-worker', claimIdleMs: 200 });
    await waitUntil(() => hooks?.requests.length === 1, { what: 'the delivery' });
    expect(received(hooks)).toEqual([`/hook ${event.id}`]);
    await waitUntil(async () => (await pending(h as Harness)) === 0, { what: 'the acknowledgement' });
  });

  it('leaves an event pending when its fan-out fails, and fans it out once it can', async () => {
    hooks = await startHttpReceiver();
    h = await startHarness();
    await h.subscribe({ url: `${hooks.url}/hook` });
    // A subscription record that does not parse: every fan-out fails until it is gone.
    await h.redis.hset(h.keys.webhookSubscriptions, 'broken', '{"id":"broken"}');
    await h.startWorker();
    h.startFanOut();
    const event = completedEvent();
    await h.appendEvent(event);
    await waitUntil(() => h?.logs.text().includes('webhook fan-out failed'), { what: 'a failed fan-out' });
    expect(await pending(h)).toBe(1);
    expect(hooks.requests).toHaveLength(0);

    await h.redis.hdel(h.keys.webhookSubscriptions, 'broken');
    await waitUntil(() => hooks?.requests.length === 1, { what: 'the delivery' });
    expect(received(hooks)).toEqual([`/hook ${event.id}`]);
    await waitUntil(async () => (await pending(h as Harness)) === 0, { what: 'the acknowledgement' });
  });

  it('stops reading when closed, and the next consumer starts where the group stopped', async () => {
    hooks = await startHttpReceiver();
    h = await startHarness();
    await h.subscribe({ url: `${hooks.url}/hook` });
    await h.startWorker();
    const first = completedEvent();
    await h.appendEvent(first);
    const consumer = h.startFanOut();
    await waitUntil(() => hooks?.requests.length === 1, { what: 'the first delivery' });
    await consumer.close();

    const second = completedEvent();
    await h.appendEvent(second);
    // Nothing reads the stream now: the event waits in the group.
    const [group = []] = (await h.redis.xinfo('GROUPS', h.keys.events)) as string[][];
    expect(group[group.indexOf('lag') + 1]).toBe(1);
    h.startFanOut();
    await waitUntil(() => hooks?.requests.length === 2, { what: 'the second delivery' });
    expect(received(hooks)).toEqual([`/hook ${first.id}`, `/hook ${second.id}`].sort());
  });
});
