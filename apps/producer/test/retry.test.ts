import {
  eventSchema,
  eventStreamField,
  type RequestOutcome,
  requestEndings,
  requestErrorCodes,
} from '@aiqum-jobs/contracts';
import { type Completion, queuePayloads, Secret } from '@aiqum-jobs/core';
import { readEvents } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, ProducerApiClient } from '../src/index.js';
import { type Harness, labLun, startHarness, testToken } from './harness.js';

let h: Harness;
let client: ProducerApiClient;
let baseUrl: string;
const prodOnlyToken = 'prod-only-token-0123456789';
beforeAll(async () => {
  h = await startHarness({
    namedTokens: [
      { name: 'prod-only', token: new Secret(prodOnlyToken), scopes: ['submit', 'read'], targets: ['prod'] },
    ],
  });
  baseUrl = await h.server.listen({ host: '127.0.0.1', port: 0 });
  client = new ProducerApiClient({ baseUrl, token: testToken });
});
afterAll(() => h.close());

const endings: Record<Exclude<RequestOutcome, 'warning' | 'partial_failure'>, Completion> = {
  succeeded: { outcome: 'succeeded' },
  failed: { outcome: 'failed', error: { code: requestErrorCodes.jobError, message: 'the job failed' } },
  timed_out: requestEndings.deadlineBeforeSubmission(),
  cancelled: requestEndings.cancelled(),
  unknown: requestEndings.submissionInterrupted(),
  skipped: requestEndings.dependencyFailed({ ref: 'a', requestId: 'r0', outcome: 'failed' }),
};

/** Ends a request as a worker would, writing its `request.completed`. */
async function complete(requestId: string, outcome: keyof typeof endings): Promise<void> {
  const stored = await h.store.records.get(requestId);
  if (stored === undefined) throw new Error(`no request ${requestId}`);
  expect(await h.store.completion.complete(stored, {}, endings[outcome])).toBe('completed');
}

async function completedEventOf(requestId: string) {
  const events = await readEvents(
    h.testRedis.connect(),
    { key: h.keys.events, field: eventStreamField, schema: eventSchema },
    { types: ['request.completed'] },
  );
  return events.find((event) => event.requestId === requestId);
}

/** The error an API call answers with. */
async function refusal(call: Promise<unknown>): Promise<ApiError> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(error)}`);
  return error;
}

describe('retry of a request', () => {
  it('queues a new request from the same spec, body included, linked both ways', async () => {
    const original = await client.submit({
      ...labLun,
      deadlineSeconds: 120,
      metadata: { change: 'CHG-1' },
      poll: { initialDelayMs: 500 },
    });
    await complete(original.requestId, 'failed');

    const retry = await client.retry(original.requestId);
    expect(retry).toMatchObject({ status: 'queued', links: { self: `/v1/requests/${retry.requestId}` } });
    expect(retry.requestId).not.toBe(original.requestId);

    // The worker gets the original's body in the queue job.
    const job = await h.queue.getJob(retry.requestId);
    const payload = queuePayloads.request.parse(job?.data);
    expect(payload).toMatchObject({
      target: 'lab',
      method: 'POST',
      path: labLun.path,
      body: labLun.body,
      metadata: { change: 'CHG-1' },
      poll: { initialDelayMs: 500 },
      retryOf: original.requestId,
    });
    expect(payload.deadlineAt - payload.createdAt).toBe(120_000);

    const retryView = await client.getRequest(retry.requestId);
    expect(retryView).toMatchObject({ status: 'queued', retryOf: original.requestId });
    expect(await client.getRequest(original.requestId)).toMatchObject({ retries: [retry.requestId] });

    await complete(retry.requestId, 'succeeded');
    expect(await completedEventOf(retry.requestId)).toMatchObject({
      outcome: 'succeeded',
      retryOf: original.requestId,
    });

    // A second retry of the same original comes last.
    const again = await h.producer.retry(original.requestId);
    expect((await h.producer.get(original.requestId))?.retries).toEqual([retry.requestId, again.requestId]);
  });

  it('refuses a request that has not completed, and one that succeeded', async () => {
    const running = await client.submit(labLun);
    const notCompleted = await refusal(client.retry(running.requestId));
    expect(notCompleted).toMatchObject({ status: 409, code: 'REQUEST_NOT_COMPLETED' });

    await complete(running.requestId, 'succeeded');
    const succeeded = await refusal(client.retry(running.requestId));
    expect(succeeded).toMatchObject({ status: 409, code: 'NOTHING_TO_RETRY' });
    expect((await client.getRequest(running.requestId)).retries).toBeUndefined();

    expect(await refusal(client.retry('no-such-request'))).toMatchObject({ status: 404, code: 'NOT_FOUND' });

    // A record made before bodies were kept: its body cannot be known, so it is not guessed.
    const old = await client.submit(labLun);
    await complete(old.requestId, 'failed');
    await h.testRedis.connect().del(h.keys.requestBody(old.requestId));
    const unknownBody = await refusal(client.retry(old.requestId));
    expect(unknownBody).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(unknownBody.message).toContain('submit it again');
  });

  it('retries an unknown write only with force, and says why', async () => {
    const write = await client.submit(labLun);
    await complete(write.requestId, 'unknown');
    const before = await h.footprint();
    const refused = await refusal(client.retry(write.requestId));
    expect(refused).toMatchObject({ status: 409, code: 'RETRY_NEEDS_RECONCILIATION' });
    expect(refused.message).toContain('may have reached AIQUM');
    expect(refused.message).toContain('force');
    expect(await h.footprint()).toEqual(before);

    const forced = await client.retry(write.requestId, { force: true });
    expect(await client.getRequest(forced.requestId)).toMatchObject({ retryOf: write.requestId });

    // A read whose outcome is unknown did nothing: no force needed.
    const read = await client.submit({
      target: 'lab',
      method: 'GET',
      path: '/api/datacenter/cluster/clusters',
    });
    await complete(read.requestId, 'unknown');
    // A bare POST, without a body, is a retry without force.
    const bare = await fetch(`${baseUrl}/v1/requests/${read.requestId}/retry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${testToken}` },
    });
    expect(bare.status).toBe(202);
  });

  it('honours Idempotency-Key: the same key gives the first retry again', async () => {
    const original = await client.submit(labLun);
    await complete(original.requestId, 'timed_out');
    const first = await client.retry(original.requestId, {}, 'retry-key-1');
    const second = await client.retry(original.requestId, {}, 'retry-key-1');
    expect(second.requestId).toBe(first.requestId);
    expect((await client.getRequest(original.requestId)).retries).toEqual([first.requestId]);
    const reused = await refusal(client.retry(original.requestId, { force: true }, 'retry-key-1'));
    expect(reused).toMatchObject({ status: 409, code: 'IDEMPOTENCY_KEY_REUSED' });
  });

  it('lets a token limited to targets retry only the requests of its targets', async () => {
    const limited = new ProducerApiClient({ baseUrl, token: prodOnlyToken });
    const lab = await client.submit(labLun);
    await complete(lab.requestId, 'failed');
    expect(await refusal(limited.retry(lab.requestId))).toMatchObject({
      status: 403,
      code: 'FORBIDDEN_TARGET',
    });
    const prod = await client.submit({ ...labLun, target: 'prod' });
    await complete(prod.requestId, 'failed');
    expect(await limited.retry(prod.requestId)).toMatchObject({ status: 'queued' });
  });
});

describe('retry of a batch', () => {
  it('retries the failed and timed-out requests in a new batch that names the original', async () => {
    const outcomes = ['failed', 'succeeded', 'timed_out', 'cancelled', 'failed'] as const;
    const batch = await client.submitBatch({
      requests: outcomes.map((_, index) => ({ ...labLun, body: { ...labLun.body, name: `lun${index}` } })),
      metadata: { change: 'CHG-2' },
    });
    for (const [index, outcome] of outcomes.entries()) await complete(batch.requestIds[index] ?? '', outcome);

    const retry = await client.retryBatch(batch.batchId);
    const retried = [0, 2, 4].map((index) => batch.requestIds[index]);
    expect(retry).toMatchObject({
      total: 3,
      links: { self: `/v1/batches/${retry.batchId}`, requests: `/v1/batches/${retry.batchId}/requests` },
    });
    expect(await client.getBatch(retry.batchId)).toMatchObject({
      total: 3,
      metadata: { change: 'CHG-2', retryOf: batch.batchId },
    });
    const page = await client.listBatchRequests(retry.batchId, 0, 10);
    expect(page.requests.map((request) => request.retryOf)).toEqual(retried);
    for (const [index, requestId] of retry.requestIds.entries()) {
      const job = await h.queue.getJob(requestId);
      expect(queuePayloads.request.parse(job?.data).body).toMatchObject({ name: `lun${[0, 2, 4][index]}` });
    }
    const originals = await client.listBatchRequests(batch.batchId, 0, 10);
    expect(originals.requests.map((request) => request.retries)).toEqual([
      [retry.requestIds[0]],
      undefined,
      [retry.requestIds[1]],
      undefined,
      [retry.requestIds[2]],
    ]);

    // Only the cancelled one, by asking for it.
    const cancelled = await client.retryBatch(batch.batchId, { outcomes: ['cancelled'] });
    expect(cancelled.total).toBe(1);
    expect((await client.getRequest(cancelled.requestIds[0] ?? '')).retryOf).toBe(batch.requestIds[3]);
  });

  it('refuses a batch with nothing to retry, and unknown writes without force', async () => {
    const batch = await client.submitBatch({ requests: [labLun, labLun] });
    await complete(batch.requestIds[0] ?? '', 'succeeded');
    await complete(batch.requestIds[1] ?? '', 'unknown');
    const nothing = await refusal(client.retryBatch(batch.batchId));
    expect(nothing).toMatchObject({ status: 409, code: 'NOTHING_TO_RETRY' });

    const before = await h.footprint();
    const refused = await refusal(client.retryBatch(batch.batchId, { outcomes: ['unknown'] }));
    expect(refused).toMatchObject({ status: 409, code: 'RETRY_NEEDS_RECONCILIATION' });
    expect(await h.footprint()).toEqual(before);
    const forced = await client.retryBatch(batch.batchId, { outcomes: ['unknown'], force: true });
    expect(forced.total).toBe(1);

    const invalid = await refusal(client.retryBatch(batch.batchId, { outcomes: ['succeeded' as 'failed'] }));
    expect(invalid).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(await refusal(client.retryBatch('no-such-batch'))).toMatchObject({ status: 404 });
  });

  it('honours Idempotency-Key for a batch retry, in the library too', async () => {
    const batch = await h.producer.submitBatch({ requests: [labLun] });
    await complete(batch.requestIds[0] ?? '', 'failed');
    const first = await h.producer.retryBatch(batch.batchId, { idempotencyKey: 'batch-retry-key' });
    const second = await h.producer.retryBatch(batch.batchId, { idempotencyKey: 'batch-retry-key' });
    expect(second).toEqual(first);
    expect((await h.producer.get(batch.requestIds[0] ?? ''))?.retries).toEqual(first.requestIds);
  });
});
