import { createLogger, requestErrorCodes } from '@aiqum-jobs/contracts';
import { logSink, lunRequest, waitUntil } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxConsecutivePollFailures } from '../src/poll-handler.js';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
const sink = logSink();

beforeAll(async () => {
  h = await startHarness([
    {
      name: 'stuck',
      simulator: {
        seed: 5,
        scenario: { rules: [{ match: { method: 'POST' }, job: { durationMs: 3_600_000 } }] },
      },
    },
    {
      name: 'brief',
      simulator: {
        seed: 6,
        scenario: { rules: [{ match: { method: 'POST' }, job: { durationMs: 2_500 } }] },
      },
    },
  ]);
  await h.startWorker({}, { logger: createLogger({ name: 'poll-failures', destination: sink.destination }) });
});
afterAll(() => h.close());

/**
 * Makes every poll of the request fail inside the worker: AIQUM answers, then recording the poll fails in
 * its Redis script (`HINCRBY` of a count that is not an integer; the worker still reads it as 0).
 */
async function breakPollCount(requestId: string): Promise<void> {
  await waitUntil(async () => (await h.store.records.get(requestId))?.status === 'tracking', {
    what: 'tracking',
  });
  await h.redis.hset(h.keys.request(requestId), 'polls', '0.0');
}

function failureLines(requestId: string, msg: string) {
  return sink.lines().filter((line) => line.requestId === requestId && line.msg === msg);
}

describe('polls that fail inside the worker', () => {
  it(`end the request unknown with INTERNAL_ERROR after ${maxConsecutivePollFailures} in a row`, async () => {
    const [spec] = await h.enqueue([{ target: 'stuck', ...lunRequest('stuck_lun', { seed: 5 }) }]);
    if (!spec) throw new Error('no request');
    await breakPollCount(spec.requestId);
    const [event] = await h.waitForCompleted(1);
    expect(event).toMatchObject({
      requestId: spec.requestId,
      outcome: 'unknown',
      error: { code: requestErrorCodes.internal },
    });
    expect(event?.error?.message).toContain(`after ${maxConsecutivePollFailures} polls in a row`);
    // Exactly N attempts: N - 1 retried, the Nth gave up; and one completion.
    expect(failureLines(spec.requestId, 'poll failed inside the worker; polling again')).toHaveLength(
      maxConsecutivePollFailures - 1,
    );
    expect(
      failureLines(spec.requestId, 'poll failed inside the worker too often; giving up on the request'),
    ).toHaveLength(1);
    expect((await h.completed()).filter((e) => e.requestId === spec.requestId)).toHaveLength(1);
    expect(await h.redis.zscore(h.keys.targetDue('stuck'), spec.requestId)).toBeNull();
  });

  it('keep polling after fewer failures than that, and a good poll resets the count', async () => {
    const before = (await h.completed()).length;
    const [spec] = await h.enqueue([{ target: 'brief', ...lunRequest('brief_lun', { seed: 6 }) }]);
    if (!spec) throw new Error('no request');
    await breakPollCount(spec.requestId);
    const key = h.keys.request(spec.requestId);
    await waitUntil(async () => Number(await h.redis.hget(key, 'pollFailures')) >= 2, {
      intervalMs: 5,
      what: 'two failed polls',
    });
    await h.redis.hset(key, 'polls', '0');
    const events = await h.waitForCompleted(before + 1);
    expect(events.filter((e) => e.requestId === spec.requestId)).toEqual([
      expect.objectContaining({ outcome: 'succeeded' }),
    ]);
    expect(failureLines(spec.requestId, 'poll failed inside the worker; polling again').length).toBeLessThan(
      maxConsecutivePollFailures,
    );
    expect(await h.redis.hget(key, 'pollFailures')).toBeNull();
  });
});

describe('the count of polls that failed inside a worker', () => {
  it('is kept in Redis: a worker continues the count another left', async () => {
    const [spec] = await h.enqueue([{ target: 'stuck', ...lunRequest('stuck_lun2', { seed: 5 }) }]);
    if (!spec) throw new Error('no request');
    await waitUntil(async () => (await h.store.records.get(spec.requestId))?.status === 'tracking', {
      what: 'tracking',
    });
    // As a worker that stopped after N - 1 failures left it.
    await h.redis.hset(
      h.keys.request(spec.requestId),
      'polls',
      '0.0',
      'pollFailures',
      String(maxConsecutivePollFailures - 1),
    );
    const event = await waitUntil(async () =>
      (await h.completed()).find((completed) => completed.requestId === spec.requestId),
    );
    expect(event).toMatchObject({ outcome: 'unknown', error: { code: requestErrorCodes.internal } });
    expect(failureLines(spec.requestId, 'poll failed inside the worker; polling again')).toHaveLength(0);
    expect(
      failureLines(spec.requestId, 'poll failed inside the worker too often; giving up on the request'),
    ).toHaveLength(1);
  });
});

describe('a tracked request whose record cannot be read', () => {
  it('is claimed again only after a wait, with an error logged, not at once forever', async () => {
    const [spec] = await h.enqueue([{ target: 'stuck', ...lunRequest('unreadable_lun', { seed: 5 }) }]);
    if (!spec) throw new Error('no request');
    await waitUntil(async () => (await h.store.records.get(spec.requestId))?.status === 'tracking', {
      what: 'tracking',
    });
    await h.redis.hset(h.keys.request(spec.requestId), 'spec', '{"not": "a spec"}');
    // Due now, so the poller claims it with its unreadable record.
    await h.store.schedule.pollNow({ requestId: spec.requestId, target: 'stuck' });
    const lines = () =>
      sink
        .lines()
        .filter(
          (line) =>
            line.requestId === spec.requestId &&
            line.msg === 'cannot read a tracked request; trying again later',
        );
    await waitUntil(() => lines().length > 0 || undefined, { what: 'the error log line' });
    // Claimed again at once, it would log again within milliseconds (20 lines in 500 ms without the wait).
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(lines()).toHaveLength(1);
    // Still tracked: it is tried again after the wait, not dropped.
    expect(await h.redis.zscore(h.keys.targetDue('stuck'), spec.requestId)).not.toBeNull();
  });
});
