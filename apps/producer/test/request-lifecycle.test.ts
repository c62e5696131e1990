import { eventSchema, eventStreamField, maxBatchSize } from '@aiqum-jobs/contracts';
import { readEvents, redisTimeMs } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, type Harness, labLun, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

async function submit(payload: object = labLun, headers: Record<string, string> = {}) {
  return h.server.inject({ method: 'POST', url: '/v1/requests', headers: { ...auth, ...headers }, payload });
}

function batchOf(count: number): { requests: Array<Record<string, unknown>>; metadata: object } {
  return {
    requests: Array.from({ length: count }, (_, index) => ({
      ...labLun,
      body: { name: `lun${index}` },
    })),
    metadata: { change: 'CHG-7' },
  };
}

describe('batches', () => {
  it('queues a batch in bulk, counts it, and pages through its requests', async () => {
    const response = await h.server.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: auth,
      payload: batchOf(5),
    });
    expect(response.statusCode).toBe(202);
    const answer = response.json();
    expect(answer.total).toBe(5);
    expect(answer.requestIds).toHaveLength(5);
    expect(answer.links).toMatchObject({ self: `/v1/batches/${answer.batchId}` });
    for (const requestId of answer.requestIds) {
      expect(await h.queue.getJob(requestId)).toMatchObject({ name: 'request', id: requestId });
    }

    const batch = (await h.server.inject({ url: `/v1/batches/${answer.batchId}`, headers: auth })).json();
    expect(batch).toMatchObject({
      batchId: answer.batchId,
      total: 5,
      done: false,
      byStatus: { waiting: 0, pending: 5, tracking: 0, completed: 0 },
      byOutcome: { succeeded: 0, cancelled: 0 },
      metadata: { change: 'CHG-7' },
    });

    const first = (
      await h.server.inject({ url: `/v1/batches/${answer.batchId}/requests?limit=2`, headers: auth })
    ).json();
    expect(first.requests.map((request: { requestId: string }) => request.requestId)).toEqual(
      answer.requestIds.slice(0, 2),
    );
    expect(first.requests[0]).toMatchObject({ batchId: answer.batchId, status: 'queued' });
    expect(first.links.next).toBe(`/v1/batches/${answer.batchId}/requests?offset=2&limit=2`);
    const last = (
      await h.server.inject({ url: `/v1/batches/${answer.batchId}/requests?offset=4&limit=2`, headers: auth })
    ).json();
    expect(last.requests).toHaveLength(1);
    expect(last.links.next).toBeUndefined();

    const badPage = await h.server.inject({
      url: `/v1/batches/${answer.batchId}/requests?limit=0`,
      headers: auth,
    });
    expect(badPage.statusCode).toBe(400);
    expect(badPage.json().error.issues[0].path).toBe('limit');
  });

  it('names each bad request of a batch by its index, and stores none of the batch', async () => {
    const before = await h.footprint();
    const payload = batchOf(4);
    payload.requests[1] = { ...labLun, path: '/api/../x', body: { name: 'x' } };
    payload.requests[3] = { ...labLun, target: 'nowhere', body: { name: 'y' } };
    const response = await h.server.inject({ method: 'POST', url: '/v1/batches', headers: auth, payload });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.issues).toEqual([{ path: 'requests[1].path', message: expect.any(String) }]);

    payload.requests[1] = { ...labLun, body: { name: 'x' } };
    const unknownTarget = await h.server.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: auth,
      payload,
    });
    expect(unknownTarget.statusCode).toBe(400);
    expect(unknownTarget.json().error).toMatchObject({
      code: 'UNKNOWN_TARGET',
      issues: [{ path: 'requests[3].target', message: expect.stringContaining('"nowhere"') }],
    });
    expect(await h.footprint()).toEqual(before);
  });

  it(`refuses a batch over ${maxBatchSize} requests and a body over the limit`, async () => {
    const before = await h.footprint();
    const tooMany = await h.server.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: auth,
      payload: batchOf(maxBatchSize + 1),
    });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().error.issues).toEqual([
      { path: 'requests', message: expect.stringContaining('10000') },
    ]);

    const huge = await h.server.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: auth,
      payload: { requests: [{ ...labLun, body: { blob: 'x'.repeat(9 * 1024 * 1024) } }] },
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error.code).toBe('BODY_TOO_LARGE');
    expect(await h.footprint()).toEqual(before);
  });
});

describe('Idempotency-Key', () => {
  it('answers a repeated key and body with the first answer and enqueues nothing new', async () => {
    const before = await h.footprint();
    const first = await submit(labLun, { 'idempotency-key': 'order-1' });
    // Key order does not change the body.
    const reordered = {
      body: labLun.body,
      path: labLun.path,
      method: labLun.method,
      target: 'lab',
    };
    const second = await submit(reordered, { 'idempotency-key': 'order-1' });
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(202);
    expect(second.json()).toEqual(first.json());
    expect((await h.footprint()).jobs).toBe(before.jobs + 1);

    const other = await submit({ ...labLun, body: { name: 'lun2' } }, { 'idempotency-key': 'order-1' });
    expect(other.statusCode).toBe(409);
    expect(other.json().error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const otherEndpoint = await h.server.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: { ...auth, 'idempotency-key': 'order-1' },
      payload: { requests: [labLun] },
    });
    expect(otherEndpoint.statusCode).toBe(409);
    expect((await h.footprint()).jobs).toBe(before.jobs + 1);
  });

  it('lets only one of many concurrent duplicates enqueue', async () => {
    const before = await h.footprint();
    const payload = batchOf(3);
    const answers = await Promise.all(
      Array.from({ length: 8 }, async () =>
        h.server.inject({
          method: 'POST',
          url: '/v1/batches',
          headers: { ...auth, 'idempotency-key': 'race' },
          payload,
        }),
      ),
    );
    expect(answers.map((answer) => answer.statusCode)).toEqual(Array(8).fill(202));
    expect(new Set(answers.map((answer) => answer.json().batchId)).size).toBe(1);
    expect((await h.footprint()).jobs).toBe(before.jobs + 3);
  });

  it('does not remember a key whose request was rejected', async () => {
    const rejected = await submit({ ...labLun, path: '//x' }, { 'idempotency-key': 'fixed-later' });
    expect(rejected.statusCode).toBe(400);
    const accepted = await submit(labLun, { 'idempotency-key': 'fixed-later' });
    expect(accepted.statusCode).toBe(202);
  });

  it('refuses a malformed key', async () => {
    const response = await submit(labLun, { 'idempotency-key': 'has space' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.issues[0].path).toBe('Idempotency-Key');
  });
});

describe('cancel', () => {
  it('cancels a queued request once: outcome, event, queue job removed', async () => {
    const { requestId } = (await submit()).json();
    expect(await (await h.queue.getJob(requestId))?.getState()).toBe('waiting');

    const cancelled = await h.server.inject({
      method: 'DELETE',
      url: `/v1/requests/${requestId}`,
      headers: auth,
    });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({
      requestId,
      status: 'completed',
      outcome: 'cancelled',
      error: { code: 'CANCELLED' },
    });
    expect(await h.queue.getJob(requestId)).toBeUndefined();

    const events = await readEvents(h.testRedis.connect(), {
      key: h.keys.events,
      field: eventStreamField,
      schema: eventSchema,
    });
    const completed = events.filter((event) => 'requestId' in event && event.requestId === requestId);
    expect(completed).toEqual([expect.objectContaining({ type: 'request.completed', outcome: 'cancelled' })]);

    const again = await h.server.inject({
      method: 'DELETE',
      url: `/v1/requests/${requestId}`,
      headers: auth,
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({
      code: 'REQUEST_COMPLETED',
      details: { outcome: 'cancelled' },
    });
  });

  it('counts a cancelled request in its batch', async () => {
    const answer = (
      await h.server.inject({ method: 'POST', url: '/v1/batches', headers: auth, payload: batchOf(2) })
    ).json();
    await h.producer.cancel(answer.requestIds[0]);
    const batch = await h.producer.getBatch(answer.batchId);
    expect(batch).toMatchObject({ done: false, byStatus: { completed: 1, pending: 1 } });
    expect(batch?.byOutcome.cancelled).toBe(1);
  });
});

describe('poll now', () => {
  it('moves the next poll of a tracked request to now, and refuses otherwise', async () => {
    const { requestId } = (await submit()).json();
    const notTracked = await h.server.inject({
      method: 'POST',
      url: `/v1/requests/${requestId}/poll`,
      headers: auth,
    });
    expect(notTracked.statusCode).toBe(409);
    expect(notTracked.json().error).toMatchObject({ code: 'NOT_POLLABLE', details: { status: 'queued' } });

    // Do what a worker does: accept the AIQUM job, its next poll a minute away in the target's due set.
    const view = await h.store.records.get(requestId);
    if (view === undefined) throw new Error('request not stored');
    const token = 'test-worker';
    await h.store.submissions.begin(requestId, {
      target: view.target,
      limits: { maxConcurrent: 100, maxPerSecond: 1_000 },
      leaseId: token,
      token,
      claimLeaseMs: 60_000,
      allowResubmit: false,
      submitLeaseMs: 60_000,
    });
    const job = {
      kind: 'aiqum' as const,
      key: 'k:1',
      href: '/api/management-server/jobs/k%3A1',
      source: 'job.key' as const,
    };
    const before = await redisTimeMs(h.redis);
    const firstPoll = { delayMs: 60_000, deadlineAt: view.deadlineAt };
    expect(await h.store.submissions.acceptJob(view, job, token, undefined, firstPoll)).toBe('tracking');
    const after = await redisTimeMs(h.redis);
    const due = h.keys.targetDue(view.target);
    // Due a minute after it was accepted, by Redis's clock.
    const firstPollAt = Number(await h.redis.zscore(due, requestId));
    expect(firstPollAt).toBeGreaterThanOrEqual(before + 60_000);
    expect(firstPollAt).toBeLessThanOrEqual(after + 60_000);

    const moved = await h.server.inject({
      method: 'POST',
      url: `/v1/requests/${requestId}/poll`,
      headers: auth,
    });
    expect(moved.statusCode).toBe(202);
    expect(moved.json()).toMatchObject({ requestId, status: 'tracking', job });
    expect(Number(await h.redis.zscore(due, requestId))).toBeLessThanOrEqual(Date.now());

    const again = await h.server.inject({
      method: 'POST',
      url: `/v1/requests/${requestId}/poll`,
      headers: auth,
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('NOT_POLLABLE');
  });
});
