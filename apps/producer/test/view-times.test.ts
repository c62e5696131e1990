import { batchViewSchema, eventSchema, eventStreamField, requestViewSchema } from '@aiqum-jobs/contracts';
import { readEvents } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, type Harness, labLun, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/** A strict ISO 8601 time with milliseconds and `Z`, as `Date.prototype.toISOString` writes it. */
const isoTimePattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

async function getJson(url: string): Promise<unknown> {
  const response = await h.server.inject({ url, headers: auth });
  expect(response.statusCode).toBe(200);
  return response.json();
}

describe('the times of the API views', () => {
  it('are ISO 8601, and the same as the events say of the same request and batch', async () => {
    const answer = await h.producer.submitBatch({ requests: [labLun], metadata: { change: 'CHG-14' } });
    const [requestId] = answer.requestIds;
    if (requestId === undefined) throw new Error('no request queued');
    const stored = await h.store.records.get(requestId);
    if (stored === undefined) throw new Error('request not stored');
    // As a worker does: AIQUM accepts the call and returns a Job, which later ends.
    const token = `worker-${requestId}`;
    await h.store.submissions.begin(requestId, {
      target: stored.target,
      limits: { maxConcurrent: 10, maxPerSecond: 100 },
      leaseId: token,
      token,
      claimLeaseMs: 60_000,
      allowResubmit: false,
      submitLeaseMs: 60_000,
    });
    const job = {
      kind: 'aiqum' as const,
      key: 'k1',
      href: '/api/management-server/jobs/k1',
      source: 'job.key' as const,
    };
    const firstPoll = { delayMs: 60_000, deadlineAt: stored.deadlineAt };
    expect(await h.store.submissions.acceptJob(stored, job, token, undefined, firstPoll)).toBe('tracking');
    // Accepted at Redis's time, which the worker then knows from the record.
    const submittedAt = (await h.store.records.get(requestId))?.submittedAt;
    await h.store.completion.complete(
      stored,
      { job, dialect: 'spec', submittedAt },
      { outcome: 'succeeded' },
    );

    const raw = (await getJson(`/v1/requests/${requestId}`)) as Record<string, unknown>;
    for (const field of ['createdAt', 'deadlineAt', 'submittedAt', 'finishedAt']) {
      expect(raw[field], field).toMatch(isoTimePattern);
    }
    const request = requestViewSchema.parse(raw);
    const batch = batchViewSchema.parse(await getJson(`/v1/batches/${answer.batchId}`));
    expect(batch.createdAt).toMatch(isoTimePattern);
    expect(batch.finishedAt).toMatch(isoTimePattern);
    const page = (await getJson(`/v1/batches/${answer.batchId}/requests`)) as { requests: unknown[] };
    expect(page.requests).toEqual([raw]);
    const recent = (await getJson('/v1/batches')) as { batches: unknown[] };
    expect(recent.batches).toContainEqual(batch);

    const events = await readEvents(h.testRedis.connect(), {
      key: h.keys.events,
      field: eventStreamField,
      schema: eventSchema,
    });
    const completed = events.find((event) => event.type === 'request.completed');
    const batchCompleted = events.find((event) => event.type === 'batch.completed');
    if (completed?.type !== 'request.completed' || batchCompleted?.type !== 'batch.completed') {
      throw new Error('the completion events are missing');
    }
    expect(request).toMatchObject({
      createdAt: completed.createdAt,
      submittedAt: completed.submittedAt,
      finishedAt: completed.finishedAt,
    });
    expect(Date.parse(request.deadlineAt) - Date.parse(request.createdAt)).toBe(600_000);
    expect(batch).toMatchObject({
      createdAt: batchCompleted.createdAt,
      finishedAt: batchCompleted.finishedAt,
    });
  });

  it('are documented as date-time strings in the OpenAPI document', async () => {
    const document = (await getJson('/openapi.json')) as {
      components: {
        schemas: Record<string, { properties: Record<string, { type?: string; format?: string }> }>;
      };
    };
    const { Request: request, Batch: batch } = document.components.schemas;
    for (const field of ['createdAt', 'deadlineAt', 'submittedAt', 'finishedAt']) {
      expect(request?.properties[field], field).toMatchObject({ type: 'string', format: 'date-time' });
    }
    for (const field of ['createdAt', 'finishedAt']) {
      expect(batch?.properties[field], field).toMatchObject({ type: 'string', format: 'date-time' });
    }
  });
});
