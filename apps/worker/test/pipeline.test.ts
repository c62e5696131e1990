import { randomUUID } from 'node:crypto';
import { submissionJob } from '@aiqum-jobs/core';
import { igroupRequest, lunRequest, redisTimeMs, waitUntil } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byRequest, gatewayClusters, type Harness, startHarness } from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness([
    {
      name: 'docs',
      simulator: {
        dialect: 'docs',
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
            {
              match: { method: 'POST', body: { name: 'part_*' } },
              job: { durationMs: 200, outcomes: { PARTIAL_FAILURES: 1 } },
            },
            { match: { method: 'POST', body: { name: 'reset_*' } }, faults: { resetRate: 1 } },
            // An hour: running for as long as any test looks at it.
            { match: { method: 'POST', body: { name: 'slow_*' } }, job: { durationMs: 3_600_000 } },
            { match: { method: 'POST' }, job: { durationMs: { min: 100, max: 600 } } },
          ],
        },
      },
    },
    {
      name: 'spec',
      simulator: {
        seed: 8,
        ontapJobPurgeSeconds: 1,
        scenario: {
          rules: [
            {
              match: { method: 'POST', body: { name: 'err_*' } },
              job: {
                durationMs: 200,
                outcomes: { ERROR: 1 },
                message: 'Aggregate aggr1_01 is out of space.',
              },
            },
            {
              match: { method: 'POST', body: { name: 'abort_*' } },
              job: { durationMs: 400, outcomes: { ABORTED: 1 } },
            },
            { match: { method: 'POST' }, job: { durationMs: { min: 100, max: 600 } } },
          ],
        },
      },
    },
  ]);
  await h.startWorker();
});
afterAll(() => h.close());

describe('the pipeline, end to end against the simulator', () => {
  it('ends a mixed batch with one request.completed per request, the right outcomes and one batch.completed', async () => {
    const specSimulator = h.simulators.get('spec');
    if (!specSimulator) throw new Error('no spec simulator');
    const [cluster] = await gatewayClusters(specSimulator);
    const batchId = randomUUID();
    const specs = await h.enqueue(
      [
        { target: 'docs', ...lunRequest('ok_lun1', { seed: 7 }) },
        { target: 'docs', ...lunRequest('err_lun', { seed: 7 }) },
        { target: 'docs', ...lunRequest('warn_lun', { seed: 7 }) },
        { target: 'docs', ...lunRequest('part_lun', { seed: 7 }) },
        { target: 'docs', method: 'POST', path: '/api/storage-provider/luns', body: { name: 'bad' } },
        {
          target: 'docs',
          method: 'POST',
          path: '/api/datacenter/protocols/san/igroups',
          body: igroupRequest('ig_pipeline', { seed: 7 }).body,
        },
        { target: 'docs', method: 'GET', path: '/api/datacenter/svm/svms?name=vs1' },
        {
          target: 'spec',
          method: 'POST',
          path: '/api/v2/storage-provider/luns',
          body: lunRequest('ok_spec', { seed: 8 }).body,
        },
        {
          target: 'spec',
          method: 'POST',
          path: `/api/gateways/${cluster}/storage/volumes`,
          body: {
            name: 'vol_gw',
            svm: { name: 'vs1' },
            aggregates: [{ name: 'aggr1_01' }],
            size: 1073741824,
          },
        },
      ].map((request, index) => ({
        ...request,
        method: request.method as 'GET' | 'POST',
        metadata: { index },
      })),
      { batchId },
    );
    const completed = byRequest(await h.waitForCompleted(specs.length));
    const outcomeOf = (index: number) => completed.get(specs[index]?.requestId ?? '')?.outcome;
    expect(specs.map((_, index) => outcomeOf(index))).toEqual([
      'succeeded',
      'failed',
      'warning',
      'partial_failure',
      'failed',
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
    ]);

    const lunEvent = completed.get(specs[0]?.requestId ?? '');
    expect(lunEvent).toMatchObject({
      batchId,
      target: 'docs',
      method: 'POST',
      dialect: 'docs',
      jobState: { phase: 'terminal', state: 'NORMAL', outcome: 'NORMAL' },
      metadata: { index: 0 },
    });
    expect(lunEvent?.jobResults.map((result) => result.name)).toContain('lunKey');
    expect(lunEvent?.polls).toBeGreaterThanOrEqual(1);
    expect(completed.get(specs[1]?.requestId ?? '')?.error).toMatchObject({
      code: 'AIQUM_JOB_ERROR',
      message: 'aggregate is full',
    });
    expect(completed.get(specs[4]?.requestId ?? '')?.error).toMatchObject({
      code: 'AIQUM_BAD_REQUEST',
      httpStatus: 400,
    });
    expect(completed.get(specs[5]?.requestId ?? '')?.response).toMatchObject({ name: 'ig_pipeline' });
    expect(completed.get(specs[6]?.requestId ?? '')?.response).toMatchObject({ num_records: 1 });
    expect(completed.get(specs[7]?.requestId ?? '')).toMatchObject({
      dialect: 'spec',
      jobState: { phase: 'terminal', state: 'completed', status: 'normal', outcome: 'NORMAL' },
    });
    expect(completed.get(specs[8]?.requestId ?? '')).toMatchObject({
      dialect: 'ontap',
      job: { kind: 'ontap' },
      jobState: { state: 'success' },
    });

    const events = await h.events();
    const mine = events.filter(
      (event) => (event.type === 'batch.completed' ? event.batchId : event.batchId) === batchId,
    );
    expect(mine.filter((event) => event.type === 'request.completed')).toHaveLength(specs.length);
    const accepted = mine.filter((event) => event.type === 'request.accepted');
    expect(accepted).toHaveLength(6);
    const batchEvents = mine.filter((event) => event.type === 'batch.completed');
    expect(batchEvents).toHaveLength(1);
    expect(batchEvents[0]).toMatchObject({
      total: 9,
      counts: {
        succeeded: 5,
        failed: 2,
        warning: 1,
        partial_failure: 1,
        unknown: 0,
        timed_out: 0,
        cancelled: 0,
      },
    });

    // Every call carried its request id, and no write went to AIQUM twice.
    const docsStats = h.simulators.get('docs')?.stats();
    for (const spec of specs.slice(0, 6)) expect(docsStats?.submissions[spec.requestId]).toBe(1);
    expect(specSimulator.stats().submissions[specs[7]?.requestId ?? '']).toBe(1);
  });

  it("ends a failed job with its task's failure reason and an aborted job as failed with its own code", async () => {
    const specs = await h.enqueue([
      { target: 'spec', ...lunRequest('err_spec', { seed: 8 }) },
      { target: 'spec', ...lunRequest('abort_spec', { seed: 8 }) },
    ]);
    const completed = await waitUntil(async () => {
      const found = byRequest(await h.completed());
      return specs.every((spec) => found.has(spec.requestId)) ? found : undefined;
    });
    expect(completed.get(specs[0]?.requestId ?? '')).toMatchObject({
      outcome: 'failed',
      jobState: { phase: 'terminal', state: 'completed', status: 'error', outcome: 'ERROR' },
      error: { code: 'AIQUM_JOB_ERROR', message: 'Aggregate aggr1_01 is out of space.' },
    });
    const aborted = completed.get(specs[1]?.requestId ?? '');
    expect(aborted).toMatchObject({
      outcome: 'failed',
      jobState: { phase: 'terminal', state: 'aborted', outcome: 'ABORTED' },
      error: { code: 'AIQUM_JOB_ABORTED' },
    });
    expect(aborted?.error?.message).toMatch(/abort/i);
  });

  // Reconciliation waits out the claim lease (the call timeout plus 5 s) of every write of the time in doubt.
  it('reconciles an ambiguous write (connection reset after AIQUM processed it): its job tracked, never resubmitted', {
    timeout: 60_000,
  }, async () => {
    const [spec] = await h.enqueue([{ target: 'docs', ...lunRequest('reset_lun', { seed: 7 }) }]);
    const completed = await waitUntil(async () => byRequest(await h.completed()).get(spec?.requestId ?? ''), {
      timeoutMs: 45_000,
    });
    expect(completed).toMatchObject({ outcome: 'succeeded', reconciled: true });
    expect(h.simulators.get('docs')?.stats().submissions[spec?.requestId ?? '']).toBe(1);
  });

  it('times a request out at its deadline with the last job state it saw', async () => {
    // A worker of its own, and a deadline the test moves into the past (by Redis's clock, the one deadlines
    // are compared on) once the worker has polled the running job twice: the deadline cannot pass early on
    // a slow machine, nor the job end.
    const clocked = await startHarness([
      {
        name: 'docs',
        simulator: {
          dialect: 'docs',
          seed: 7,
          scenario: { rules: [{ match: { method: 'POST' }, job: { durationMs: 3_600_000 } }] },
        },
      },
    ]);
    try {
      await clocked.startWorker();
      const [spec] = await clocked.enqueue([
        {
          target: 'docs',
          ...lunRequest('slow_lun', { seed: 7 }),
          deadlineAt: Date.now() + 3_600_000,
        },
      ]);
      const requestId = spec?.requestId ?? '';
      await waitUntil(
        async () => ((await clocked.store.records.get(requestId))?.polls ?? 0) >= 2 || undefined,
        {
          what: 'two polls of the running job',
        },
      );
      // The pollers read the spec from the record: its deadline is now past.
      const recordKey = clocked.keys.request(requestId);
      const recorded = JSON.parse((await clocked.redis.hget(recordKey, 'spec')) ?? '{}') as object;
      const deadlineAt = (await redisTimeMs(clocked.redis)) - 1;
      await clocked.redis.hset(recordKey, 'spec', JSON.stringify({ ...recorded, deadlineAt }));
      const [event] = await clocked.waitForCompleted(1);
      expect(event).toMatchObject({
        requestId,
        outcome: 'timed_out',
        jobState: { phase: 'running', state: 'RUNNING' },
        error: { code: 'DEADLINE_EXCEEDED' },
      });
      expect(event?.polls).toBeGreaterThanOrEqual(2);
    } finally {
      await clocked.close();
    }
  });

  it('reports an ONTAP job purged before its end was seen as unknown, never as success', async () => {
    const specSimulator = h.simulators.get('spec');
    if (!specSimulator) throw new Error('no spec simulator');
    const [cluster] = await gatewayClusters(specSimulator);
    const [spec] = await h.enqueue([
      {
        target: 'spec',
        method: 'POST',
        path: `/api/gateways/${cluster}/storage/volumes`,
        body: {
          name: 'vol_purged',
          svm: { name: 'vs1' },
          aggregates: [{ name: 'aggr1_01' }],
          size: 1073741824,
        },
        // The first poll comes after the job ended and was purged (1 s after its end).
        poll: { initialDelayMs: 3_000, maxDelayMs: 3_000 },
      },
    ]);
    const event = await waitUntil(async () => byRequest(await h.completed()).get(spec?.requestId ?? ''));
    expect(event).toMatchObject({
      outcome: 'unknown',
      error: { code: 'JOB_GONE' },
      jobState: { phase: 'gone' },
    });
  });

  it('resubmits an interrupted write only once reconciliation proved AIQUM never received it, or when it allows resubmission', {
    timeout: 60_000,
  }, async () => {
    const now = Date.now();
    const interrupted = {
      requestId: randomUUID(),
      target: 'docs',
      ...lunRequest('interrupted_lun', { seed: 7 }),
      createdAt: now,
      deadlineAt: now + 60_000,
      retryAmbiguous: false,
    };
    const resubmittable = {
      ...interrupted,
      requestId: randomUUID(),
      body: lunRequest('resubmit_lun', { seed: 7 }).body,
      retryAmbiguous: true,
    };
    // A worker claimed both submissions and died before AIQUM's answer was recorded; its claims' leases
    // (a second here) run out while the requests wait.
    await h.store.records.create([interrupted, resubmittable]);
    const deadClaim = {
      target: 'docs',
      limits: { maxConcurrent: 100, maxPerSecond: 1_000 },
      leaseId: 'dead-worker',
      token: 'dead-worker',
      claimLeaseMs: 1_000,
      allowResubmit: false,
      submitLeaseMs: 1_000,
      pollLeaseMs: 1_000,
    };
    await h.store.submissions.begin(interrupted.requestId, deadClaim);
    await h.store.submissions.begin(resubmittable.requestId, deadClaim);
    await h.queue.addBulk([interrupted, resubmittable].map(submissionJob));
    const events = await waitUntil(
      async () => {
        const found = byRequest(await h.completed());
        const a = found.get(interrupted.requestId);
        const b = found.get(resubmittable.requestId);
        return a && b ? { a, b } : undefined;
      },
      { timeoutMs: 45_000 },
    );
    // The dead worker sent nothing: no job, no LUN, so reconciliation sent it (once).
    expect(events.a.outcome).toBe('succeeded');
    expect(events.a.reconciled).toBeUndefined();
    expect(h.simulators.get('docs')?.stats().submissions[interrupted.requestId]).toBe(1);
    expect(events.b.outcome).toBe('succeeded');
    expect(h.simulators.get('docs')?.stats().submissions[resubmittable.requestId]).toBe(1);
  });

  it('stops polling a request that was cancelled while tracked', async () => {
    // Polled when the test says (its next poll is at least ten minutes away), so none is in flight when
    // it is cancelled.
    const [spec] = await h.enqueue([
      {
        target: 'docs',
        ...lunRequest('slow_cancel', { seed: 7 }),
        deadlineAt: Date.now() + 3_600_000,
        poll: { initialDelayMs: 600_000, maxDelayMs: 3_600_000 },
      },
    ]);
    if (!spec) throw new Error('no spec');
    const tracked = { requestId: spec.requestId, target: 'docs' };
    await waitUntil(
      async () => (await h.store.records.get(spec.requestId))?.status === 'tracking' || undefined,
    );
    expect(await h.store.schedule.pollNow(tracked)).toBe(true);
    const view = await waitUntil(async () => {
      const current = await h.store.records.get(spec.requestId);
      return current !== undefined && current.polls >= 1 ? current : undefined;
    });
    const key = view.job?.kind === 'aiqum' ? view.job.key : '';
    const docs = h.simulators.get('docs');
    const polls = docs?.stats().polls[key];
    expect(polls).toBe(1);
    expect(
      await h.store.completion.complete(
        view,
        { job: view.job },
        { outcome: 'cancelled', error: { code: 'CANCELLED', message: 'test' } },
      ),
    ).toBe('completed');
    // Cancelled: no poll is scheduled any more, not even one asked for.
    expect(await h.store.schedule.pollNow(tracked)).toBe(false);
    // The worker went on polling the target (another request, twice) without polling this one again.
    const [other] = await h.enqueue([{ target: 'docs', ...lunRequest('slow_other', { seed: 7 }) }]);
    await waitUntil(
      async () => ((await h.store.records.get(other?.requestId ?? ''))?.polls ?? 0) >= 2 || undefined,
    );
    expect(docs?.stats().polls[key]).toBe(polls);
    const events = (await h.completed()).filter((event) => event.requestId === spec.requestId);
    expect(events).toHaveLength(1);
    expect(events[0]?.outcome).toBe('cancelled');
  });
});
