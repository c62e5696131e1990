import { requestEndings } from '@aiqum-jobs/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, type Harness, labLun, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const lun = (name: string, order: Record<string, unknown> = {}) => ({
  ...labLun,
  body: { ...labLun.body, name },
  ...order,
});

async function postBatch(requests: object[]) {
  return h.server.inject({ method: 'POST', url: '/v1/batches', headers: auth, payload: { requests } });
}

describe('order within a batch, at enqueue', () => {
  const refused: Array<[string, object[], RegExp]> = [
    [
      'a ref given twice',
      [lun('a', { ref: 'a' }), lun('b', { ref: 'a' })],
      /requests\[1\]\.ref: ref "a" is also the ref of requests\[0\]/,
    ],
    [
      'an unknown ref in dependsOn',
      [lun('a', { ref: 'a' }), lun('b', { dependsOn: ['a', 'nope'] })],
      /requests\[1\]\.dependsOn\[1\]: no request of the batch has ref "nope"/,
    ],
    [
      'a request depending on itself',
      [lun('a', { ref: 'a', dependsOn: ['a'] })],
      /requests\[0\]\.dependsOn: a request cannot depend on itself/,
    ],
    [
      'a cycle',
      [
        lun('a', { ref: 'a', dependsOn: ['c'] }),
        lun('b', { ref: 'b', dependsOn: ['a'] }),
        lun('c', { ref: 'c', dependsOn: ['b'] }),
        lun('d', { ref: 'd', dependsOn: ['a'] }),
      ],
      /dependsOn forms a cycle: a → c → b → a/,
    ],
    [
      'a $jobResult of a request not in dependsOn',
      [
        lun('a', { ref: 'a' }),
        lun('b', { ref: 'b' }),
        {
          ...lun('c', { dependsOn: ['a'] }),
          body: { ...labLun.body, name: 'c', svm: { key: { $jobResult: { ref: 'b', name: 'svmKey' } } } },
        },
      ],
      /requests\[2\]\.body\.svm\.key: a job result reference names "b", which is not in this request's dependsOn/,
    ],
    [
      'a malformed $jobResult',
      [
        lun('a', { ref: 'a' }),
        {
          ...lun('c', { dependsOn: ['a'] }),
          body: { ...labLun.body, name: 'c', svm: { key: { $jobResult: { ref: 'a' } } } },
        },
      ],
      /requests\[1\]\.body\.svm\.key\.\$jobResult\.name: a job result reference is exactly/,
    ],
    ['dependsOn naming a ref twice', [lun('a', { ref: 'a' }), lun('b', { dependsOn: ['a', 'a'] })], /once/],
  ];
  it.each(refused)('refuses %s with 400, naming it, and stores nothing', async (_case, requests, message) => {
    const before = await h.footprint();
    const response = await postBatch(requests);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    const issues: Array<{ path: string; message: string }> = response.json().error.issues;
    expect(issues.map((issue) => `${issue.path}: ${issue.message}`).join('\n')).toMatch(message);
    expect(await h.footprint()).toEqual(before);
  });

  it('refuses ref, dependsOn and proceedOnWarning on a single request', async () => {
    const response = await h.server.inject({
      method: 'POST',
      url: '/v1/requests',
      headers: auth,
      payload: lun('a', { ref: 'a', proceedOnWarning: true }),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(/order the requests of a batch/);
  });

  it('finds a cycle in a batch of 10,000 (one chain closed on itself)', async () => {
    const requests = Array.from({ length: 10_000 }, (_, index) =>
      lun(`l${index}`, { ref: `r${index}`, dependsOn: [`r${(index + 1) % 10_000}`] }),
    );
    const response = await postBatch(requests);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.issues[0].message).toMatch(/^dependsOn forms a cycle: r0 → r1 → r2 → /);
  });
});

describe('waiting requests', () => {
  it('stores dependants waiting, out of the queue, and counts them', async () => {
    const answer = await h.producer.submitBatch({
      requests: [
        lun('a', { ref: 'a' }),
        lun('b', { ref: 'b', dependsOn: ['a'] }),
        lun('c', { dependsOn: ['b'] }),
      ],
    });
    const [a, b, c] = answer.requestIds;
    expect(await h.queue.getJob(a ?? '')).toBeDefined();
    expect(await h.queue.getJob(b ?? '')).toBeUndefined();
    expect(await h.queue.getJob(c ?? '')).toBeUndefined();
    const view = await h.producer.get(b ?? '');
    expect(view).toMatchObject({ status: 'waiting', ref: 'b', dependsOn: [{ ref: 'a', requestId: a }] });
    expect((await h.producer.getBatch(answer.batchId))?.byStatus).toEqual({
      waiting: 2,
      pending: 1,
      tracking: 0,
      completed: 0,
    });
  });

  it('queues a dependant once its dependency succeeded, and skips the dependants of a failure transitively', async () => {
    const answer = await h.producer.submitBatch({
      requests: [
        lun('a', { ref: 'a' }),
        lun('b', { ref: 'b', dependsOn: ['a'] }),
        lun('c', { ref: 'c', dependsOn: ['b'] }),
        lun('d', { ref: 'd', dependsOn: ['a'] }),
      ],
    });
    const [a, b, c, d] = answer.requestIds as [string, string, string, string];
    const stored = async (id: string) => {
      const spec = await h.store.records.get(id);
      if (spec === undefined) throw new Error(`no request ${id}`);
      return spec;
    };
    await h.store.completion.complete(await stored(a), {}, { outcome: 'succeeded' });
    // The worker's part, which the completion leaves to whoever ran it: the released set holds b and d.
    expect(await h.store.records.listReleased(100)).toEqual(expect.arrayContaining([b, d]));
    expect(await h.producer.get(b)).toMatchObject({ status: 'queued' });
    expect(await h.producer.get(c)).toMatchObject({ status: 'waiting' });

    // Cancelling b (queued, not yet picked up) skips c, at once, through the producer's release.
    await h.producer.cancel(b);
    expect(await h.producer.get(c)).toMatchObject({
      status: 'completed',
      outcome: 'skipped',
      error: {
        code: 'DEPENDENCY_FAILED',
        message: `skipped: dependency "b" (request ${b}) ended cancelled; nothing was submitted`,
      },
    });
    expect(await h.queue.getJob(c)).toBeUndefined();
    const batch = await h.producer.getBatch(answer.batchId);
    expect(batch).toMatchObject({
      byStatus: { waiting: 0, completed: 3 },
      byOutcome: { succeeded: 1, cancelled: 1, skipped: 1 },
    });
    expect(await h.producer.get(d)).toMatchObject({ status: 'queued' });
  });

  it('cancels a waiting request, and that skips its dependants', async () => {
    const answer = await h.producer.submitBatch({
      requests: [
        lun('a', { ref: 'a' }),
        lun('b', { ref: 'b', dependsOn: ['a'] }),
        lun('c', { ref: 'c', dependsOn: ['b'] }),
      ],
    });
    const [a, b, c] = answer.requestIds as [string, string, string];
    expect(await h.producer.cancel(b)).toMatchObject({ status: 'completed', outcome: 'cancelled' });
    expect(await h.producer.get(c)).toMatchObject({
      outcome: 'skipped',
      error: { code: 'DEPENDENCY_FAILED' },
    });
    expect(await h.producer.get(a)).toMatchObject({ status: 'queued' });
    expect((await h.producer.getBatch(answer.batchId))?.byStatus).toMatchObject({ waiting: 0, completed: 2 });
  });
});

describe('retrying ordered requests', () => {
  it('retries a failed dependency with its skipped dependants in the same order, dropping what succeeded', async () => {
    const answer = await h.producer.submitBatch({
      requests: [
        lun('svm', { ref: 'svm' }),
        lun('a', { ref: 'a' }),
        {
          ...lun('b', { ref: 'b', dependsOn: ['svm', 'a'] }),
          body: { ...labLun.body, name: 'b', svm: { key: { $jobResult: { ref: 'svm', name: 'svmKey' } } } },
        },
      ],
    });
    const [svm, a, b] = answer.requestIds as [string, string, string];
    const record = async (id: string) => {
      const stored = await h.store.records.get(id);
      if (stored === undefined) throw new Error(`no request ${id}`);
      return stored;
    };
    await h.store.completion.complete(
      await record(svm),
      {},
      { outcome: 'succeeded', jobResults: [{ name: 'svmKey', value: 'svm-key-1' }] },
    );
    const { released } = await h.store.completion.completeReleasing(
      await record(a),
      {},
      requestEndings.jobError('disk full', undefined),
    );
    expect(released).toEqual([b]);
    // b is released to be skipped; the producer's cancel path and the workers skip it: here, by hand.
    await h.store.completion.complete(
      await record(b),
      {},
      requestEndings.dependencyFailed({ ref: 'a', requestId: a, outcome: 'failed' }),
    );

    const retried = await h.producer.retryBatch(answer.batchId);
    expect(retried.total).toBe(2);
    const [newA, newB] = retried.requestIds as [string, string];
    const specs = await h.store.records.getSpecs([newA, newB]);
    expect(specs[0]).toMatchObject({ ref: 'a', retryOf: a });
    expect(specs[0]?.dependsOn).toBeUndefined();
    // svm succeeded and is not retried: dropped, and its job result written in.
    expect(specs[1]).toMatchObject({
      ref: 'b',
      retryOf: b,
      dependsOn: [{ ref: 'a', requestId: newA }],
      body: { svm: { key: 'svm-key-1' } },
    });
    expect(await h.producer.get(newB)).toMatchObject({ status: 'waiting' });
    expect(await h.queue.getJob(newB)).toBeUndefined();
  });

  it('refuses to retry a dependant without a dependency that did not succeed', async () => {
    const answer = await h.producer.submitBatch({
      requests: [lun('a', { ref: 'a' }), lun('b', { ref: 'b', dependsOn: ['a'] })],
    });
    const [a, b] = answer.requestIds as [string, string];
    const stored = await h.store.records.get(a);
    if (stored === undefined) throw new Error('no request a');
    await h.producer.cancel(a);
    expect(await h.producer.get(b)).toMatchObject({ outcome: 'skipped' });
    const refused = await h.server.inject({
      method: 'POST',
      url: `/v1/requests/${b}/retry`,
      headers: auth,
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({ code: 'RETRY_BREAKS_ORDER' });
    expect(refused.json().error.message).toMatch(/depends on "a" .* ended cancelled and is not retried/);
  });
});
