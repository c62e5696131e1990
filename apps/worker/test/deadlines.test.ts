import type { Simulator, WriteFault } from '@aiqum-jobs/aiqum-simulator';
import type { RequestCompletedEvent } from '@aiqum-jobs/contracts';
import { lunRequest, waitUntil } from '@aiqum-jobs/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { byRequest, type Harness, startHarness, type TargetSetup } from './harness.js';

/**
 * A deadline that passes before AIQUM accepted the request: the request ends `timed_out` with
 * DEADLINE_EXCEEDED, and nothing is sent to AIQUM after the deadline.
 */

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function started(setup: Omit<TargetSetup, 'name'>): Promise<{ h: Harness; simulator: Simulator }> {
  h = await startHarness([{ name: 'lab', ...setup }]);
  const simulator = h.simulators.get('lab');
  if (!simulator) throw new Error('no simulator');
  return { h, simulator };
}

const lunCreate = (name: string) => ({ target: 'lab', ...lunRequest(name, { seed: 3 }) });

async function completion(harness: Harness, requestId: string): Promise<RequestCompletedEvent> {
  return waitUntil(async () => byRequest(await harness.completed()).get(requestId), {
    what: `request ${requestId} to complete`,
  });
}

function expectTimedOutUnsent(event: RequestCompletedEvent, simulator: Simulator): void {
  expect(event).toMatchObject({
    outcome: 'timed_out',
    error: {
      code: 'DEADLINE_EXCEEDED',
      message: 'the deadline passed before the request could be submitted',
    },
  });
  expect(event.job).toBeUndefined();
  expect(simulator.stats().submissions[event.requestId]).toBeUndefined();
}

describe('a deadline that passes before AIQUM accepted the request', () => {
  it('ends a request still queued at its deadline timed_out, without submitting it', async () => {
    const { h, simulator } = await started({ simulator: { seed: 3 } });
    // Its deadline passed while it waited in the queue: no worker ran then.
    const [spec] = await h.enqueue([{ ...lunCreate('late_lun'), deadlineAt: Date.now() - 1 }]);
    await h.startWorker();
    expectTimedOutUnsent(await completion(h, spec?.requestId ?? ''), simulator);
    expect(simulator.stats().requests).toEqual({});
  });

  it('ends a request waiting for a target slot at its deadline timed_out, without submitting it', async () => {
    const { h, simulator } = await started({
      simulator: {
        seed: 3,
        scenario: {
          rules: [
            { match: { method: 'GET', path: '/api/datacenter/svm/svms' }, faults: { latencyMs: 3_000 } },
          ],
        },
      },
      target: { limits: { maxConcurrent: 1, maxPerSecond: 1_000 } },
    });
    await h.startWorker();
    // A slow read holds the target's only slot...
    const [read] = await h.enqueue([{ target: 'lab', method: 'GET', path: '/api/datacenter/svm/svms' }]);
    await waitUntil(() => simulator.stats().faults.latency === 1, { what: 'the read to reach AIQUM' });
    // ... past the deadline of the write behind it.
    const [write] = await h.enqueue([{ ...lunCreate('waiting_lun'), deadlineAt: Date.now() + 300 }]);
    const event = await completion(h, write?.requestId ?? '');
    expectTimedOutUnsent(event, simulator);
    // It ended at its deadline, while the slot it waited for was still taken.
    expect(byRequest(await h.completed()).has(read?.requestId ?? '')).toBe(false);
    expect((await completion(h, read?.requestId ?? '')).outcome).toBe('succeeded');
    expect(simulator.stats().requests['POST /api/storage-provider/luns']).toBeUndefined();
  });

  it('ends a request whose submissions AIQUM keeps refusing (503) timed_out at its deadline, none sent after it', async () => {
    const { h, simulator } = await started({
      simulator: {
        seed: 3,
        scenario: {
          rules: [{ match: { method: 'POST' }, faults: { statuses: [{ status: 503, rate: 1 }] } }],
        },
      },
    });
    await h.startWorker();
    // The simulator asks for a second (Retry-After: 1) before each new attempt: two fit before the deadline.
    const deadlineAt = Date.now() + 1_500;
    const [spec] = await h.enqueue([{ ...lunCreate('refused_lun'), deadlineAt }]);
    const event = await completion(h, spec?.requestId ?? '');
    expectTimedOutUnsent(event, simulator);
    // Every attempt the simulator turned away, as its ground truth has them.
    const faults = await writeFaults(simulator, event.requestId);
    expect(faults.length).toBeGreaterThanOrEqual(2);
    expect(faults.every((fault) => fault.fault === '503' && !fault.processed)).toBe(true);
    expect(faults.filter((fault) => Date.parse(fault.at) >= deadlineAt)).toEqual([]);
  });
});

/** The faults the simulator injected into the writes of one request (its admin API). */
async function writeFaults(simulator: Simulator, requestId: string): Promise<WriteFault[]> {
  const admin = simulator.users.find((user) => user.role === 'application_admin');
  const response = await fetch(`${simulator.url}/_sim/jobs?correlation_id=${requestId}`, {
    headers: {
      authorization: `Basic ${Buffer.from(`${admin?.username}:${admin?.password}`).toString('base64')}`,
    },
  });
  return ((await response.json()) as { writeFaults: WriteFault[] }).writeFaults;
}
