import type { RequestInput } from '@aiqum-jobs/contracts';
import { lunRequest } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formerlyAmbiguous, judge, SimulatorReader } from '../src/ground-truth.js';
import { guaranteesKept, PipelineUnderTest } from '../src/index.js';

// The bounded run is part of `npm test`; `AIQUM_JOBS_SOAK=1` runs the full scenario of docs/RELIABILITY.md.
const soak = process.env.AIQUM_JOBS_SOAK === '1';
const requestCount = soak ? 2_000 : 400;
const gib = 1024 ** 3;

let pipeline: PipelineUnderTest;
let reader: SimulatorReader;
let clusterUuid: string;

const gatewaysSchema = z.object({ records: z.array(z.object({ uuid: z.string(), name: z.string() })) });

/** Faults before processing and spoiled answers, on writes and polls alike. */
const everyCallFaults = {
  statuses: [
    { status: 500, rate: 0.025 },
    { status: 502, rate: 0.025 },
    { status: 503, rate: 0.025, retryAfterSeconds: 1 },
    { status: 504, rate: 0.025 },
    { status: 429, rate: 0.05, retryAfterSeconds: 1 },
  ],
  resetRate: 0.01,
  malformedJsonRate: 0.01,
  latencyMs: { min: 500, max: 3_000 },
  latencyRate: 0.03,
};

beforeAll(async () => {
  pipeline = await PipelineUnderTest.start({
    workers: 2,
    // Latency spikes stay well below the call timeout: a write that timed out would be unknowable for a
    // reason the simulator does not record.
    target: { timeoutMs: 15_000 },
    simulator: {
      tls: true,
      seed: 4,
      // ONTAP purges finished jobs after 300 s; here after 1 s, so slow polls miss some ends.
      ontapJobPurgeSeconds: 1,
    },
  });
  reader = new SimulatorReader(pipeline.simulator);
  // The cluster is looked up before the faults begin.
  const gateways = gatewaysSchema.parse(await reader.get('/api/gateways'));
  const cluster = gateways.records.find((record) => record.name === 'cluster-01');
  if (!cluster) throw new Error('the simulator has no cluster-01');
  clusterUuid = cluster.uuid;
  pipeline.simulator.setScenario({
    rules: [
      // Job rules by LUN name (the first matching rule with `job` decides).
      {
        match: { body: { name: 'warn_*' } },
        job: { durationMs: { min: 0, max: 3_000 }, outcomes: { WARNING: 1 } },
      },
      {
        match: { body: { name: 'partial_*' } },
        job: { durationMs: { min: 0, max: 3_000 }, outcomes: { PARTIAL_FAILURES: 1 } },
      },
      {
        match: { body: { name: 'error_*' } },
        job: { durationMs: { min: 0, max: 3_000 }, outcomes: { ERROR: 1 } },
      },
      { match: { method: 'POST' }, job: { durationMs: { min: 0, max: 3_000 } } },
      // Writes that AIQUM processed (the job runs) but answered 500/502/504: a worker that resent them
      // would make a second job, which the duplicate-submission verdict catches.
      {
        match: { method: 'POST', path: '/api/storage-provider/**' },
        faults: {
          ...everyCallFaults,
          afterProcessing: [
            { status: 500, rate: 0.02 },
            { status: 502, rate: 0.02 },
            { status: 504, rate: 0.02 },
          ],
        },
      },
      // Faults on every other AIQUM call, job polls and gateway writes alike (the first matching rule with `faults`).
      { match: { path: '/api/**' }, faults: everyCallFaults },
    ],
  });
}, 60_000);
afterAll(async () => {
  reader.close();
  await pipeline.close();
});

/** The batch: LUNs whose names choose their job's outcome, LUNs AIQUM rejects, and ONTAP volumes. */
function chaosBatch(): RequestInput[] {
  return Array.from({ length: requestCount }, (_, index): RequestInput => {
    const kind = index % 10;
    if (kind === 9) {
      return {
        method: 'POST',
        path: `/api/gateways/${clusterUuid}/storage/volumes`,
        body: {
          name: `chaos_vol_${index}`,
          svm: { name: 'vs1' },
          aggregates: [{ name: 'aggr1_01' }],
          size: gib,
        },
        // Every other volume is polled slower than ONTAP keeps its finished job here.
        ...(index % 20 === 9 ? { poll: { initialDelayMs: 1_500, maxDelayMs: 4_000 } } : {}),
      };
    }
    const prefix = ['lun', 'lun', 'lun', 'lun', 'warn', 'partial', 'error', 'lun', 'rejected'][kind] ?? 'lun';
    // Every 25th LUN repeats the previous LUN's name: one of the two jobs fails on the duplicate.
    const name = index % 25 === 1 ? `lun_chaos_${index - 1}` : `${prefix}_chaos_${index}`;
    return lunRequest(name, { svm: prefix === 'rejected' ? 'no_such_svm' : 'vs1', seed: 4 });
  });
}

describe('AIQUM chaos', () => {
  it(`every outcome of ${requestCount} requests matches the simulator's ground truth`, async () => {
    const { batchId, requestIds } = await pipeline.submitBatch(chaosBatch());
    await pipeline.waitForBatch(batchId, soak ? 600_000 : 150_000);

    const report = await pipeline.report(batchId, requestIds);
    // A write AIQUM answered with a spoiled 4xx is sent again once reconciliation proved it made nothing: more
    // than one submission is right then. Two jobs for one request are not (the judge's violation row).
    expect(report).toMatchObject({
      ...guaranteesKept(requestCount),
      duplicateSubmissions: report.duplicateSubmissions,
    });

    const completed = new Map(
      (await pipeline.events({ types: ['request.completed'], batchId })).map((event) => [
        event.requestId,
        event,
      ]),
    );
    const truths = await reader.groundTruth(requestIds);
    const byCategory: Record<string, number> = {};
    const mismatches: string[] = [];
    // Writes whose answer a fault hid: each ended unknown before reconciliation.
    const ambiguous = { total: 0, definite: 0, reconciled: 0, resubmitted: 0 };
    const gatewayAmbiguous = { ...ambiguous };
    const unsettled: string[] = [];
    for (const requestId of requestIds) {
      const event = completed.get(requestId);
      const truth = truths.get(requestId);
      if (!event || !truth) throw new Error(`request ${requestId} has no event or no ground truth`);
      const { category, mismatch } = judge(event, truth);
      if (formerlyAmbiguous(truth)) {
        // Writes through the gateway start ONTAP jobs, which reconciliation does not look for (yet).
        const counted = event.path.startsWith('/api/gateways/') ? gatewayAmbiguous : ambiguous;
        counted.total += 1;
        if (event.outcome !== 'unknown') counted.definite += 1;
        if (event.reconciled) counted.reconciled += 1;
        if (event.outcome !== 'unknown' && !event.reconciled) counted.resubmitted += 1;
        if (event.outcome === 'unknown') unsettled.push(`${category}: ${event.error?.message ?? ''}`);
      }
      byCategory[category] = (byCategory[category] ?? 0) + 1;
      if (mismatch !== undefined) mismatches.push(`${requestId} [${category}]: ${mismatch}`);
    }
    const faults = pipeline.simulator.stats().faults;
    console.info(
      `aiqum chaos: ${JSON.stringify({ faults, byCategory, ambiguous, gatewayAmbiguous, mismatches: mismatches.length, ...report })}`,
    );
    // What reconciliation found where it could not settle a write, for whoever reads the log.
    console.info(`aiqum chaos, unsettled writes: ${JSON.stringify(unsettled.slice(0, 5))}`);
    expect(mismatches).toEqual([]);
    // Reconciliation settles most of the Unified Manager writes whose answer was lost (the rest stay unknown,
    // with what it found). Issue 15's goal is 90 %: runs measure 85-100 %, 95 % over 8 runs
    // (docs/RELIABILITY.md); a run's misses are writes that nothing AIQUM shows tells apart, as many as the
    // faults' timing makes, so this floor catches a regression, not the goal.
    expect(ambiguous.total).toBeGreaterThan(0);
    expect(ambiguous.definite / ambiguous.total).toBeGreaterThanOrEqual(0.8);
    // The faults the scenario promises were really injected, on writes and polls.
    for (const fault of ['500', '502', '503', '504', '429', 'reset', 'malformedJson', 'latency']) {
      expect(faults[fault] ?? 0, fault).toBeGreaterThan(0);
    }
    // Writes answered 5xx after AIQUM had started their job: each made one job (the duplicate verdict finds
    // none), and ended unknown or with that job's outcome (no mismatch).
    for (const status of ['500', '502', '504']) {
      expect(faults[`${status}-after-processing`] ?? 0, `${status} after processing`).toBeGreaterThan(0);
    }
    expect(byCategory['unknowable: 500/502/504 answered after the write was processed'] ?? 0).toBeGreaterThan(
      0,
    );
    // Both sides of the early purge happened: some ONTAP ends were seen in time, some were missed.
    expect(byCategory['unknowable: ONTAP job purged before any poll saw its end'] ?? 0).toBeGreaterThan(0);
    expect(report.unknownCodes.JOB_GONE ?? 0).toBe(
      byCategory['unknowable: ONTAP job purged before any poll saw its end'] ?? 0,
    );
  });
});
