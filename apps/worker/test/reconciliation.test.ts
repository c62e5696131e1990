import type { Simulator } from '@aiqum-jobs/aiqum-simulator';
import { lunRequest, waitUntil } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { byRequest, type Harness, startHarness } from './harness.js';

// Reconciliation waits for every write of the time in doubt to be answered (the claim lease: the call
// timeout plus 5 s): a short timeout keeps these tests short.
const timeoutMs = 1_000;
const seed = 11;

let h: Harness;
let simulator: Simulator;

beforeAll(async () => {
  h = await startHarness([{ name: 'lab', simulator: { seed }, target: { timeoutMs } }]);
  const lab = h.simulators.get('lab');
  if (!lab) throw new Error('no simulator');
  simulator = lab;
  await h.startWorker();
});
afterAll(() => h.close());

const truthSchema = z.object({
  records: z.array(
    z.object({ id: z.string(), results: z.array(z.object({ name: z.string(), value: z.string() })) }),
  ),
});

/** The jobs the simulator started for a request (its ground truth, by correlation id). */
async function jobsFor(requestId: string) {
  const admin = simulator.users.find((user) => user.role === 'application_admin');
  if (!admin) throw new Error('no admin');
  const response = await fetch(`${simulator.url}/_sim/jobs?correlation_id=${encodeURIComponent(requestId)}`, {
    headers: {
      authorization: `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString('base64')}`,
    },
  });
  return truthSchema.parse(await response.json()).records;
}

const lun = (name: string) => ({ target: 'lab', ...lunRequest(name, { seed }) });
const shortJob = { durationMs: { min: 0, max: 300 } };

async function completedOf(requestId: string) {
  return waitUntil(async () => byRequest(await h.completed()).get(requestId), {
    timeoutMs: 60_000,
    what: `request ${requestId} to complete`,
  });
}

describe('reconciliation of a write whose answer was lost', { timeout: 60_000 }, () => {
  it('tracks the job AIQUM started when the object it made is the one the write names', async () => {
    simulator.setScenario({
      rules: [
        { match: { body: { name: 'lun_answered_late' } }, job: shortJob },
        {
          match: { body: { name: 'lun_answered_late' } },
          faults: { afterProcessing: [{ status: 502, rate: 1 }] },
        },
      ],
    });
    const [request] = await h.enqueue([lun('lun_answered_late')]);
    if (!request) throw new Error('no spec');
    const completed = await completedOf(request.requestId);
    const truth = await jobsFor(request.requestId);
    expect(truth).toHaveLength(1);
    expect(completed).toMatchObject({
      outcome: 'succeeded',
      reconciled: true,
      jobResults: truth[0]?.results,
      job: { kind: 'aiqum', key: truth[0]?.id },
    });
    expect(simulator.stats().submissions[request.requestId]).toBe(1);
    expect(await h.store.records.get(request.requestId)).toMatchObject({
      reconciled: true,
      outcome: 'succeeded',
    });
  });

  it('tracks the job of a write whose 202 answer was spoiled (not JSON)', async () => {
    simulator.setScenario({
      rules: [
        { match: { body: { name: 'lun_spoiled_answer' } }, job: shortJob },
        { match: { body: { name: 'lun_spoiled_answer' } }, faults: { malformedJsonRate: 1 } },
      ],
    });
    const [request] = await h.enqueue([lun('lun_spoiled_answer')]);
    if (!request) throw new Error('no spec');
    const completed = await completedOf(request.requestId);
    const truth = await jobsFor(request.requestId);
    expect(truth).toHaveLength(1);
    expect(completed).toMatchObject({
      outcome: 'succeeded',
      reconciled: true,
      job: { kind: 'aiqum', key: truth[0]?.id },
    });
    expect(simulator.stats().submissions[request.requestId]).toBe(1);
  });

  it('resubmits a write AIQUM never received (no job, no object), and it is not marked reconciled', async () => {
    simulator.setScenario({
      rules: [
        { match: { body: { name: 'lun_never_received' } }, faults: { statuses: [{ status: 502, rate: 1 }] } },
      ],
    });
    const [request] = await h.enqueue([lun('lun_never_received')]);
    if (!request) throw new Error('no spec');
    await waitUntil(() => (simulator.stats().faults['502'] ?? 0) >= 1 || undefined, { what: 'the 502' });
    // The resubmission, which reconciliation sends once it proved the first never arrived, is answered.
    simulator.setScenario({ rules: [{ match: { method: 'POST' }, job: shortJob }] });
    const completed = await completedOf(request.requestId);
    expect(completed.outcome).toBe('succeeded');
    expect(completed.reconciled).toBeUndefined();
    expect(await jobsFor(request.requestId)).toHaveLength(1);
    expect(simulator.stats().submissions[request.requestId]).toBe(1);
    expect(await h.store.records.get(request.requestId)).toMatchObject({ submitAttempts: 2 });
  });

  it('resubmits a write whose object existed before it (no job of its own); AIQUM answers the duplicate', async () => {
    simulator.setScenario({ rules: [{ match: { method: 'POST' }, job: shortJob }] });
    const [first] = await h.enqueue([lun('lun_existing')]);
    if (!first) throw new Error('no spec');
    expect((await completedOf(first.requestId)).outcome).toBe('succeeded');
    simulator.setScenario({
      rules: [
        { match: { body: { name: 'lun_existing' } }, faults: { statuses: [{ status: 504, rate: 1 }] } },
      ],
    });
    const [again] = await h.enqueue([lun('lun_existing')]);
    if (!again) throw new Error('no spec');
    await waitUntil(() => (simulator.stats().faults['504'] ?? 0) >= 1 || undefined, { what: 'the 504' });
    simulator.setScenario({ rules: [{ match: { method: 'POST' }, job: shortJob }] });
    const completed = await completedOf(again.requestId);
    expect(completed).toMatchObject({ outcome: 'failed', error: { code: 'AIQUM_JOB_ERROR' } });
    expect(completed.error?.message).toContain('already exists');
    expect(await jobsFor(again.requestId)).toHaveLength(1);
  });

  it('ends unknown, naming what it found, when two writes in doubt at once could each own the failed jobs', async () => {
    simulator.setScenario({
      rules: [
        { match: { body: { name: 'error_*' } }, job: { ...shortJob, outcomes: { ERROR: 1 } } },
        { match: { body: { name: 'error_*' } }, faults: { afterProcessing: [{ status: 500, rate: 1 }] } },
      ],
    });
    const requests = await h.enqueue([lun('error_overlap_1'), lun('error_overlap_2')]);
    const ended = await Promise.all(requests.map((request) => completedOf(request.requestId)));
    for (const [index, completed] of ended.entries()) {
      const other = requests[1 - index]?.requestId ?? '';
      expect(completed).toMatchObject({
        outcome: 'unknown',
        error: { code: 'SUBMISSION_AMBIGUOUS', httpStatus: 500 },
      });
      expect(completed.reconciled).toBeUndefined();
      expect(completed.error?.message).toContain('reconciliation could not settle it');
      expect(completed.error?.message).toContain(other);
      for (const request of requests) {
        const [job] = await jobsFor(request.requestId);
        expect(completed.error?.message).toContain(encodeURIComponent(job?.id ?? 'no job'));
      }
    }
  });

  it('tracks a failed job when the other write in doubt at the same time made the object it names', async () => {
    simulator.setScenario({
      rules: [
        { match: { body: { name: 'error_*' } }, job: { ...shortJob, outcomes: { ERROR: 1 } } },
        { match: { method: 'POST' }, job: shortJob },
        { match: { body: { name: '*_pair' } }, faults: { afterProcessing: [{ status: 504, rate: 1 }] } },
      ],
    });
    const requests = await h.enqueue([lun('error_pair'), lun('lun_pair')]);
    const [failed, succeeded] = await Promise.all(requests.map((request) => completedOf(request.requestId)));
    // Each job could have been either write's by its time; only the LUN's write could have made the LUN.
    expect(failed).toMatchObject({ outcome: 'failed', reconciled: true, error: { code: 'AIQUM_JOB_ERROR' } });
    expect(succeeded).toMatchObject({ outcome: 'succeeded', reconciled: true });
    for (const [index, request] of requests.entries()) {
      const truth = await jobsFor(request.requestId);
      expect(truth).toHaveLength(1);
      expect([failed, succeeded][index]?.job).toMatchObject({ kind: 'aiqum', key: truth[0]?.id });
    }
  });

  it('tracks the one failed job of the time in doubt when no other write was in doubt then', async () => {
    simulator.setScenario({
      rules: [
        { match: { body: { name: 'error_*' } }, job: { ...shortJob, outcomes: { ERROR: 1 } } },
        { match: { body: { name: 'error_*' } }, faults: { afterProcessing: [{ status: 502, rate: 1 }] } },
      ],
    });
    const [request] = await h.enqueue([lun('error_alone')]);
    if (!request) throw new Error('no spec');
    const completed = await completedOf(request.requestId);
    expect(completed).toMatchObject({
      outcome: 'failed',
      reconciled: true,
      error: { code: 'AIQUM_JOB_ERROR' },
    });
    expect(simulator.stats().submissions[request.requestId]).toBe(1);
  });
});
