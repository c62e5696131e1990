import { type AiqumJobsEvent, eventStreamField } from '@aiqum-jobs/contracts';
import { waitUntil } from '@aiqum-jobs/test-support';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { fanOutGroup } from '../src/index.js';
import { batchCompletedEvent, completedEvent, type Harness, startHarness } from './harness.js';

let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Calls per command since the last `CONFIG RESETSTAT`, from `INFO commandstats`. */
async function commandCalls(redis: Redis): Promise<Record<string, number>> {
  const calls: Record<string, number> = {};
  for (const match of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls[match[1] ?? ''] = Number(match[2]);
  }
  return calls;
}

/** The commands this test sends itself to watch the group; every other call is the fan-out's. */
const ownCommands = new Set(['info', 'xinfo|groups', 'config|resetstat']);

/** Whether the group has read and acknowledged every event of the stream. */
async function caughtUp(harness: Harness): Promise<boolean> {
  const groups = (await harness.redis.xinfo('GROUPS', harness.keys.events)) as (string | number)[][];
  const group = groups.find((fields) => fields[fields.indexOf('name') + 1] === fanOutGroup);
  if (group === undefined) return false;
  return group[group.indexOf('pending') + 1] === 0 && group[group.indexOf('lag') + 1] === 0;
}

/** Adds the events to the stream in one round trip, before the fan-out starts. */
async function appendMany(harness: Harness, events: readonly AiqumJobsEvent[]): Promise<void> {
  const pipeline = harness.redis.pipeline();
  for (const event of events)
    pipeline.xadd(harness.keys.events, '*', eventStreamField, JSON.stringify(event));
  await pipeline.exec();
}

/** Ids of the delivery jobs queued, sorted. */
async function queuedDeliveries(harness: Harness): Promise<string[]> {
  const jobs = await harness.queue.getJobs(['waiting', 'delayed', 'prioritized', 'active', 'completed']);
  return jobs.map((job) => job.id ?? '').sort();
}

describe('the fan-out, in Redis commands', () => {
  const eventCount = 2_000;
  /** Events per read of the fan-out consumer (`readCount`). */
  const perRead = 100;

  it('with no subscription, sends a few commands per read of events and none per event', async () => {
    h = await startHarness({}, { ownServer: true });
    await appendMany(
      h,
      Array.from({ length: eventCount }, () => completedEvent()),
    );
    await h.redis.config('RESETSTAT');
    h.startFanOut();
    await waitUntil(() => caughtUp(h as Harness), { what: 'the group to catch up' });

    const calls = await commandCalls(h.redis);
    const fanOutCalls = Object.entries(calls).filter(([command]) => !ownCommands.has(command));
    const total = fanOutCalls.reduce((sum, [, count]) => sum + count, 0);
    const reads = calls.xreadgroup ?? 0;
    console.info(
      `fan-out of ${eventCount} events, no subscription: ${JSON.stringify(Object.fromEntries(fanOutCalls))}`,
    );
    // One read per 100 events, plus the read of its own pending events and the blocking read after them.
    expect(reads).toBeLessThanOrEqual(eventCount / perRead + 3);
    expect(calls.xack ?? 0).toBeLessThanOrEqual(reads);
    expect(calls.hgetall ?? 0).toBeLessThanOrEqual(1);
    expect(calls.get ?? 0).toBeLessThanOrEqual(reads);
    // A read, the version GET and the XACK per read; connecting and creating the group once.
    expect(total).toBeLessThanOrEqual(3 * reads + 15);
  });

  it('with one subscription, queues exactly the deliveries of the events it matches', async () => {
    h = await startHarness({}, { ownServer: true });
    const { id } = await h.subscribe({ url: 'http://127.0.0.1:9/hook', types: ['batch.completed'] });
    const events = Array.from({ length: 500 }, (_, index) =>
      index % 5 === 0 ? batchCompletedEvent(`b${index}`) : completedEvent(),
    );
    await appendMany(h, events);
    await h.redis.config('RESETSTAT');
    h.startFanOut();
    await waitUntil(() => caughtUp(h as Harness), { what: 'the group to catch up' });

    const calls = await commandCalls(h.redis);
    expect(calls.hgetall ?? 0).toBe(1);
    expect(await queuedDeliveries(h)).toEqual(
      events
        .filter((event) => event.type === 'batch.completed')
        .map((event) => `${id}:${event.id}`)
        .sort(),
    );
  });

  it('gives a subscription every event added after its creation returned, none after its deletion returned', async () => {
    h = await startHarness();
    h.startFanOut();
    // The fan-out has read the (empty) subscriptions before any of them is made.
    await h.appendEvent(completedEvent());
    await waitUntil(() => caughtUp(h as Harness), { what: 'the first event' });

    const expected: string[] = [];
    for (let round = 0; round < 10; round += 1) {
      const { id } = await h.subscribe({ url: 'http://127.0.0.1:9/hook' });
      const during = completedEvent();
      await h.appendEvent(during);
      expected.push(`${id}:${during.id}`);
      await waitUntil(() => caughtUp(h as Harness), { what: 'the event made during the subscription' });
      expect(await h.subscriptions.delete(id)).toBe('deleted');
      await h.appendEvent(completedEvent());
      // Fanned out before the next subscription is made, which would get it.
      await waitUntil(() => caughtUp(h as Harness), { what: 'the event made after the deletion' });
    }
    expect(await queuedDeliveries(h)).toEqual(expected.sort());
  });
});
