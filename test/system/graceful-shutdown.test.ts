import type { RequestView } from '@aiqum-jobs/contracts';
import { freePort, lunRequest, TestProcess, waitUntil } from '@aiqum-jobs/test-support';
import { shutdownLogMessages } from '@aiqum-jobs/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bins, guaranteesKept, PipelineUnderTest, startWorkerProcess } from '../src/index.js';

// The bounded run is part of `npm test`; `AIQUM_JOBS_SOAK=1` runs the full scenario of docs/RELIABILITY.md.
const soak = process.env.AIQUM_JOBS_SOAK === '1';
const requestCount = soak ? 1_000 : 300;
const terminations = soak ? 10 : 3;
const shutdownTimeoutMs = 10_000;
/** Beyond the shutdown timeout: closing Redis and the HTTP agents, and process exit, on a busy machine. */
const exitGraceMs = 5_000;

let pipeline: PipelineUnderTest;

beforeAll(async () => {
  pipeline = await PipelineUnderTest.start({
    workers: 2,
    workerEnv: { WORKER_SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs) },
    target: {
      limits: { maxConcurrent: 40, maxPerSecond: 2_000 },
      // Jobs are tracked with long polls, so a SIGTERM always finds polls held open on the server.
      longPoll: { parameter: 'poll_timeout', lastModifiedParameter: 'last_modified', maxWaitSeconds: 5 },
    },
    simulator: {
      tls: true,
      longPoll: true,
      scenario: {
        rules: [
          // Slow writes, so a SIGTERM always finds submissions in flight; jobs long enough to be long-polled.
          {
            match: { method: 'POST' },
            job: { durationMs: { min: 1_000, max: soak ? 15_000 : 8_000 } },
            faults: { latencyMs: { min: 300, max: 1_000 } },
          },
        ],
      },
    },
  });
}, 60_000);
afterAll(() => pipeline.close());

async function batchRequests(batchId: string): Promise<RequestView[]> {
  const page = await pipeline.producer.listBatchRequests(batchId, { offset: 0, limit: requestCount });
  if (!page) throw new Error(`batch ${batchId} is unknown`);
  return page.requests;
}

describe('graceful shutdown', () => {
  it('a SIGTERM that comes while the worker is still starting closes it cleanly (exit 0)', async () => {
    const port = await freePort();
    // /healthz answers as soon as the health server listens, before the rest of the worker has started.
    const child = await TestProcess.start({
      args: [bins.worker],
      env: { ...pipeline.env, WORKER_HEALTH_PORT: String(port) },
      ready: { url: `http://127.0.0.1:${port}/healthz` },
      readyIntervalMs: 5,
    });
    // SIGTERM, then exit 0; one that hangs is killed at the deadline the other tests hold workers to.
    expect(await child.stop(shutdownTimeoutMs + exitGraceMs)).toBe(0);
  });

  it(`SIGTERM during a busy batch (${terminations} times) loses nothing, strands nothing, submits nothing twice`, async () => {
    const requests = Array.from({ length: requestCount }, (_, index) =>
      lunRequest(`lun_term_${index}`, { svm: index % 2 === 0 ? 'vs1' : 'vs2' }),
    );
    const { batchId, requestIds } = await pipeline.submitBatch(requests);

    const inFlightAtTerm = new Set<string>();
    const exits: Array<{ code: number | null; exitMs: number; submitting: number; tracking: number }> = [];
    for (let round = 0; round < terminations; round += 1) {
      // Busy: submissions in flight and jobs being long-polled at the same time.
      const views = await waitUntil(
        async () => {
          const current = await batchRequests(batchId);
          const submitting = current.filter((view) => view.status === 'submitting').length;
          const tracking = current.filter((view) => view.status === 'tracking').length;
          return submitting >= 5 && tracking >= 5 ? current : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 50, what: 'the batch to be busy' },
      );
      const alive = pipeline.workers.filter((worker) => worker.running);
      const victim = alive[Math.floor(Math.random() * alive.length)];
      if (!victim) throw new Error('no worker is running');
      for (const view of views) if (view.status === 'submitting') inFlightAtTerm.add(view.requestId);
      const started = Date.now();
      victim.signal('SIGTERM');
      const { code } = await victim.exited;
      exits.push({
        code,
        exitMs: Date.now() - started,
        submitting: views.filter((view) => view.status === 'submitting').length,
        tracking: views.filter((view) => view.status === 'tracking').length,
      });
      // It finished its calls in flight instead of abandoning them at the timeout.
      expect(victim.output).not.toContain(shutdownLogMessages.callsAborted);
      await pipeline.startWorker();
    }

    await pipeline.waitForBatch(batchId, soak ? 300_000 : 120_000);
    const report = await pipeline.report(batchId, requestIds);
    const submissions = pipeline.simulator.stats().submissions;
    const inFlightSubmittedTwice = [...inFlightAtTerm].filter((id) => (submissions[id] ?? 0) !== 1);
    console.info(
      `graceful shutdown: ${JSON.stringify({ terminations, shutdownTimeoutMs, exits, inFlightAtTerm: inFlightAtTerm.size, inFlightSubmittedTwice: inFlightSubmittedTwice.length, ...report })}`,
    );
    for (const exit of exits) {
      expect(exit.code).toBe(0);
      expect(exit.exitMs).toBeLessThan(shutdownTimeoutMs + exitGraceMs);
    }
    expect(report).toMatchObject(guaranteesKept(requestCount));
    expect(inFlightAtTerm.size).toBeGreaterThan(0);
    expect(inFlightSubmittedTwice).toEqual([]);
    // A graceful stop lets submissions finish: none is left ambiguous, every LUN is made.
    expect(report.byOutcome).toEqual({ succeeded: requestCount });
    // Nothing is stranded: every request of the batch reached its end.
    expect((await batchRequests(batchId)).filter((view) => view.status !== 'completed')).toEqual([]);
  });

  it('a worker whose calls outlive its shutdown timeout still exits 0 in time; those writes are reconciled, never sent twice', async () => {
    const shortTimeoutMs = 1_000;
    const writeLatencyMs = 8_000;
    pipeline.simulator.setScenario({
      rules: [{ match: { method: 'POST' }, faults: { latencyMs: writeLatencyMs } }],
    });
    const others = pipeline.workers.filter((worker) => worker.running);
    // Only the worker under test takes the batch: the others stop first (gracefully, nothing in flight).
    for (const other of others) expect(await other.stop()).toBe(0);
    const worker = await startWorkerProcess({
      ...pipeline.env,
      WORKER_SHUTDOWN_TIMEOUT_MS: String(shortTimeoutMs),
    });
    pipeline.workers.push(worker);
    const count = 10;
    const { batchId, requestIds } = await pipeline.submitBatch(
      Array.from({ length: count }, (_, index) => lunRequest(`lun_outlived_${index}`)),
    );
    await waitUntil(
      async () => (await batchRequests(batchId)).every((view) => view.status === 'submitting') || undefined,
      { timeoutMs: 20_000, intervalMs: 50, what: 'every write to be in flight' },
    );
    const started = Date.now();
    worker.signal('SIGTERM');
    const { code } = await worker.exited;
    const exitMs = Date.now() - started;
    await pipeline.startWorker();
    await pipeline.waitForBatch(batchId, 60_000);
    // The simulator processes the abandoned writes once their latency has passed: count them then.
    await waitUntil(
      () => requestIds.every((id) => (pipeline.simulator.stats().submissions[id] ?? 0) > 0) || undefined,
      { timeoutMs: writeLatencyMs + 10_000, what: 'the abandoned writes to reach the simulator' },
    );
    const report = await pipeline.report(batchId, requestIds);
    console.info(
      `graceful shutdown, calls outliving the timeout: ${JSON.stringify({ shutdownTimeoutMs: shortTimeoutMs, writeLatencyMs, code, exitMs, ...report })}`,
    );
    expect(code).toBe(0);
    // Waiting for the calls would take their whole latency.
    expect(exitMs).toBeLessThan(writeLatencyMs);
    expect(worker.output).toContain(shutdownLogMessages.callsAborted);
    expect(report).toMatchObject(guaranteesKept(count));
    // AIQUM processed them after the calls were cut (a cut call may be processed until its claim's lease
    // ends): reconciliation found each one's job and tracked it; none was sent again.
    expect(report.byOutcome).toEqual({ succeeded: count });
    const reconciled = (await pipeline.events({ types: ['request.completed'], batchId })).filter(
      (event) => event.reconciled,
    );
    expect(reconciled).toHaveLength(count);
  });
});
