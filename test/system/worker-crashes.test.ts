import { lunRequest } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guaranteesKept, PipelineUnderTest, type WorkerKill, WorkerKiller } from '../src/index.js';

// The bounded run is part of `npm test`; `AIQUM_JOBS_SOAK=1` runs the full scenario of docs/RELIABILITY.md.
const soak = process.env.AIQUM_JOBS_SOAK === '1';
const requestCount = soak ? 1_000 : 300;
const killCount = soak ? 20 : 6;

let pipeline: PipelineUnderTest;
let killer: WorkerKiller;

beforeAll(async () => {
  pipeline = await PipelineUnderTest.start({
    workers: 3,
    target: { limits: { maxConcurrent: 12, maxPerSecond: 2_000 } },
    simulator: {
      tls: true,
      scenario: {
        rules: [
          { match: { body: { name: 'instant_*' } }, job: { durationMs: 0 } },
          // Slow submissions, so that kills land while calls are in flight.
          {
            match: { method: 'POST' },
            job: { durationMs: { min: 0, max: soak ? 20_000 : 6_000 } },
            faults: { latencyMs: { min: 300, max: 1_000 } },
          },
        ],
      },
    },
  });
  killer = new WorkerKiller(pipeline);
}, 60_000);
afterAll(async () => {
  await killer.close();
  await pipeline.close();
});

describe('worker crashes', () => {
  it(`loses nothing and submits nothing twice while workers are SIGKILLed ${killCount} times`, async () => {
    const requests = Array.from({ length: requestCount }, (_, index) =>
      lunRequest(`${index % 10 === 0 ? 'instant' : 'lun'}_${index}`, {
        svm: index % 2 === 0 ? 'vs1' : 'vs2',
      }),
    );
    const { batchId, requestIds } = await pipeline.submitBatch(requests);

    const kills: WorkerKill[] = [];
    // Each kill is of a worker running submissions: every one hits work in flight.
    for (let kill = 0; kill < killCount; kill += 1) kills.push(await killer.killBusyWorker());

    await pipeline.waitForBatch(batchId, soak ? 300_000 : 120_000);
    const report = await pipeline.report(batchId, requestIds);
    const takeoverTimes = await Promise.all(kills.map((kill) => kill.takeoverMs));
    const inFlightAtKill = new Set(kills.flatMap((kill) => kill.inFlight));
    console.info(
      `worker crashes: ${JSON.stringify({ kills: killCount, inFlightAtKill: kills.map((kill) => kill.inFlight.length), workersKilled: kills.map((kill) => kill.kills), ...report, maxTakeoverMs: Math.max(...takeoverTimes), takeoverTimes })}`,
    );
    expect(report).toMatchObject(guaranteesKept(requestCount));
    // Only submissions a kill interrupted may end unknown, and only as ambiguous; everything else succeeds.
    expect(report.unknownRequestIds.filter((id) => !inFlightAtKill.has(id))).toEqual([]);
    const unknown = report.byOutcome.unknown ?? 0;
    expect(report.unknownCodes).toEqual(unknown > 0 ? { SUBMISSION_AMBIGUOUS: unknown } : {});
    expect((report.byOutcome.succeeded ?? 0) + unknown).toBe(requestCount);
    // docs/CONFIGURATION.md: a crashed worker's requests are taken over after about WORKER_LOCK_MS + WORKER_STALLED_INTERVAL_MS.
    for (const takeover of takeoverTimes) expect(takeover).toBeLessThan(killer.takeoverBoundMs);
  });
});
