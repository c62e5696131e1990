import { randomUUID } from 'node:crypto';
import type { Simulator } from '@aiqum-jobs/aiqum-simulator';
import { seedInventoryKeys } from '@aiqum-jobs/aiqum-simulator';
import { type jsonValueSchema, type RequestCompletedEvent, requestEndings } from '@aiqum-jobs/contracts';
import { DependantRelease } from '@aiqum-jobs/core';
import { lunRequest, waitUntil } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { byRequest, type Harness, startHarness } from './harness.js';

let h: Harness;
let simulator: Simulator;

beforeAll(async () => {
  h = await startHarness([
    {
      name: 'lab',
      simulator: {
        seed: 7,
        scenario: {
          rules: [
            {
              match: { method: 'POST', body: { name: 'err_*' } },
              job: { durationMs: 200, outcomes: { ERROR: 1 }, message: 'aggregate is full' },
            },
            {
              match: { method: 'POST', body: { name: 'warn_*' } },
              job: { durationMs: 200, outcomes: { WARNING: 1 } },
            },
            { match: { method: 'POST', body: { name: 'slow_*' } }, job: { durationMs: 3_600_000 } },
            { match: { method: 'POST' }, job: { durationMs: { min: 100, max: 300 } } },
          ],
        },
      },
    },
  ]);
  const lab = h.simulators.get('lab');
  if (lab === undefined) throw new Error('no simulator');
  simulator = lab;
});
afterAll(() => h.close());

type Ordered = Omit<Parameters<Harness['enqueue']>[0][number], 'dependsOn'> & { dependsOn?: string[] };

/** Enqueues a batch whose requests name their dependencies by ref, as the producer stores them. */
async function submitBatch(requests: Ordered[]): Promise<{ batchId: string; requestIds: string[] }> {
  const batchId = randomUUID();
  const withIds = requests.map((request) => ({ ...request, requestId: randomUUID() }));
  const idOf = new Map(withIds.flatMap((request) => (request.ref ? [[request.ref, request.requestId]] : [])));
  const specs = await h.enqueue(
    withIds.map(({ dependsOn, ...request }) => ({
      ...request,
      ...(dependsOn === undefined
        ? {}
        : { dependsOn: dependsOn.map((ref) => ({ ref, requestId: idOf.get(ref) ?? '' })) }),
    })),
    { batchId },
  );
  return { batchId, requestIds: specs.map((spec) => spec.requestId) };
}

const keys = seedInventoryKeys(7);
type Json = z.output<typeof jsonValueSchema>;
const lun = (
  name: string,
  order: Pick<Ordered, 'ref' | 'dependsOn' | 'proceedOnWarning'> = {},
  body: Record<string, Json> = {},
): Ordered => ({ target: 'lab', ...lunRequest(name, { seed: 7, body }), ...order });

interface GroundTruth {
  submitTime: string;
  endTime: string;
  results: Array<{ name: string; value: string }>;
}

/** What the simulator did for a request (its correlation id): the jobs it started. */
async function jobsOf(requestId: string): Promise<GroundTruth[]> {
  const user = simulator.users.find((candidate) => candidate.role === 'application_admin');
  const response = await fetch(`${simulator.url}/_sim/jobs?correlation_id=${requestId}`, {
    headers: {
      authorization: `Basic ${Buffer.from(`${user?.username}:${user?.password}`).toString('base64')}`,
    },
  });
  return ((await response.json()) as { records: GroundTruth[] }).records;
}

async function onlyJobOf(requestId: string): Promise<GroundTruth> {
  const jobs = await jobsOf(requestId);
  expect(jobs).toHaveLength(1);
  return jobs[0] as GroundTruth;
}

async function completedOf(batchId: string, total: number): Promise<Map<string, RequestCompletedEvent>> {
  await waitUntil(async () => (await h.store.records.getBatch(batchId))?.done === true, {
    timeoutMs: 30_000,
  });
  const events = (await h.completed()).filter((event) => event.batchId === batchId);
  // Exactly one request.completed per request.
  expect(events).toHaveLength(total);
  expect(new Set(events.map((event) => event.requestId)).size).toBe(total);
  return byRequest(events);
}

describe('order within a batch, end to end', () => {
  it('runs the dependants a crash left released but unqueued (the sweep)', async () => {
    // No worker yet: a's completion is recorded and its dependant released, but nobody queues it, as when
    // the worker that completed a is killed before its release.
    const answer = await submitBatch([
      lun('ok_sweep_a', { ref: 'a' }),
      lun('ok_sweep_b', { ref: 'b', dependsOn: ['a'] }),
    ]);
    const [a, b] = answer.requestIds as [string, string];
    await h.queue.remove(a);
    const stored = await h.store.records.get(a);
    if (stored === undefined) throw new Error('no request a');
    expect(await h.store.completion.complete(stored, {}, { outcome: 'succeeded' })).toBe('completed');
    expect(await h.queue.getJob(b)).toBeUndefined();
    expect(await h.store.records.listReleased(10)).toEqual([b]);

    await h.startWorker();
    const completed = await completedOf(answer.batchId, 2);
    expect(completed.get(b)?.outcome).toBe('succeeded');
    await onlyJobOf(b);
    expect(await h.store.records.listReleased(10)).toEqual([]);
  });

  it('runs chains in order, skips exactly the transitive dependants of a failure, and fills in job results', async () => {
    const [cluster] = Object.values(keys.clusters);
    const answer = await submitBatch([
      lun('ok_chain_a', { ref: 'a' }),
      lun('ok_chain_b', { ref: 'b', dependsOn: ['a'] }),
      lun('ok_chain_c', { ref: 'c', dependsOn: ['b'] }),
      lun('err_root', { ref: 'root' }),
      lun('ok_x1', { ref: 'x1', dependsOn: ['root'] }),
      lun('ok_x2', { ref: 'x2', dependsOn: ['x1', 'a'] }),
      lun('ok_free'),
      lun('warn_w', { ref: 'w' }),
      lun('ok_p', { dependsOn: ['w'], proceedOnWarning: true }),
      lun('ok_q', { dependsOn: ['w'] }),
      {
        target: 'lab',
        method: 'POST',
        path: '/api/datacenter/svm/svms',
        body: { name: 'svm_dep', cluster: { key: cluster ?? '' } },
        ref: 'svm',
      },
      lun(
        'ok_by_result',
        { dependsOn: ['svm'] },
        { svm: { key: { $jobResult: { ref: 'svm', name: 'SVMKEY' } } } },
      ),
      lun('ok_by_name', { dependsOn: ['svm'] }, { svm: { name: 'svm_dep' } }),
      lun(
        'ok_missing',
        { dependsOn: ['svm'] },
        { svm: { key: { $jobResult: { ref: 'svm', name: 'nope' } } } },
      ),
    ]);
    const ids = answer.requestIds;
    const [a, b, c, root, x1, x2, free, , p, q, svm, byResult, byName, missing] = ids as [
      string,
      ...string[],
    ] as string[];
    const completed = await completedOf(answer.batchId, ids.length);
    const outcomeOf = (id: string | undefined) => completed.get(id ?? '')?.outcome;
    expect(ids.map(outcomeOf)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
      'failed',
      'skipped',
      'skipped',
      'succeeded',
      'warning',
      'succeeded',
      'skipped',
      'succeeded',
      'succeeded',
      'succeeded',
      'failed',
    ]);

    // The simulator's jobs prove the order: each link was submitted after the one before it ended.
    const [jobA, jobB, jobC] = [await onlyJobOf(a ?? ''), await onlyJobOf(b ?? ''), await onlyJobOf(c ?? '')];
    expect(Date.parse(jobB.submitTime)).toBeGreaterThanOrEqual(Date.parse(jobA.endTime));
    expect(Date.parse(jobC.submitTime)).toBeGreaterThanOrEqual(Date.parse(jobB.endTime));

    // Skipped requests never reached AIQUM, and say which dependency skipped them.
    for (const skipped of [x1, x2, q]) expect(await jobsOf(skipped ?? '')).toEqual([]);
    expect(completed.get(x1 ?? '')?.error).toEqual({
      code: 'DEPENDENCY_FAILED',
      message: `skipped: dependency "root" (request ${root}) ended failed; nothing was submitted`,
    });
    expect(completed.get(x2 ?? '')?.error?.message).toBe(
      `skipped: dependency "x1" (request ${x1}) ended skipped; nothing was submitted`,
    );
    expect(completed.get(q ?? '')?.error?.message).toMatch(/dependency "w" .* ended warning/);
    expect(outcomeOf(free)).toBe('succeeded');
    expect(outcomeOf(p)).toBe('succeeded');

    // The job result reached AIQUM: the LUN made by result sits in the new SVM.
    const svmKey = (await onlyJobOf(svm ?? '')).results.find((result) => result.name === 'svmKey')?.value;
    expect(svmKey).toBeDefined();
    expect(completed.get(byResult ?? '')?.jobResults.length).toBeGreaterThan(0);
    const luns = await simulatorGet(`/api/storage-provider/luns?svm.key=${encodeURIComponent(svmKey ?? '')}`);
    expect(luns.map((record) => record.name).sort()).toEqual(
      expect.arrayContaining([
        expect.stringContaining('ok_by_result'),
        expect.stringContaining('ok_by_name'),
      ]),
    );
    expect(completed.get(byName ?? '')?.resolved).toEqual([
      expect.objectContaining({ field: 'svm', key: svmKey }),
    ]);
    expect(completed.get(missing ?? '')?.error).toMatchObject({
      code: 'JOB_RESULT_MISSING',
      message: expect.stringMatching(/dependency "svm" .* has no job result "nope" \(it has "svmKey"\)/),
    });
    expect(await jobsOf(missing ?? '')).toEqual([]);

    const batchEvents = (await h.events()).filter(
      (event) => event.type === 'batch.completed' && event.batchId === answer.batchId,
    );
    expect(batchEvents).toHaveLength(1);
    expect(batchEvents[0]).toMatchObject({
      total: 14,
      counts: { succeeded: 8, warning: 1, failed: 2, skipped: 3 },
    });
    expect(await h.store.records.getBatch(answer.batchId)).toMatchObject({
      byStatus: { waiting: 0, pending: 0, tracking: 0, completed: 14 },
      byOutcome: { skipped: 3 },
    });
  });

  it('shows waiting requests, and cancelling a running dependency skips its dependants', async () => {
    const answer = await submitBatch([
      lun('slow_root', { ref: 'root' }),
      lun('ok_d1', { ref: 'd1', dependsOn: ['root'] }),
      lun('ok_d2', { dependsOn: ['d1'] }),
    ]);
    const [root, d1, d2] = answer.requestIds as [string, string, string];
    await waitUntil(async () => (await h.store.records.get(root))?.status === 'tracking', {
      timeoutMs: 10_000,
    });
    expect((await h.store.records.getBatch(answer.batchId))?.byStatus).toEqual({
      waiting: 2,
      pending: 0,
      tracking: 1,
      completed: 0,
    });
    // The producer's cancel: the completion, then the release of what it released.
    const stored = await h.store.records.get(root);
    if (stored === undefined) throw new Error('no root');
    const { released } = await h.store.completion.completeReleasing(stored, {}, requestEndings.cancelled());
    await new DependantRelease({ store: h.store, queue: h.queue, logger: h.logger }).release(released);
    const completed = await completedOf(answer.batchId, 3);
    expect(completed.get(root)?.outcome).toBe('cancelled');
    expect(completed.get(d1)?.outcome).toBe('skipped');
    expect(completed.get(d2)?.outcome).toBe('skipped');
    expect(await jobsOf(d1)).toEqual([]);
  });
});

async function simulatorGet(path: string): Promise<Array<{ name: string }>> {
  const user = simulator.users.find((candidate) => candidate.role === 'application_admin');
  const response = await fetch(`${simulator.url}${path}`, {
    headers: {
      authorization: `Basic ${Buffer.from(`${user?.username}:${user?.password}`).toString('base64')}`,
    },
  });
  return ((await response.json()) as { records: Array<{ name: string }> }).records;
}
