import type { RequestInput } from '@aiqum-jobs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineUnderTest } from '../src/index.js';

// The bounded run is part of `npm test`; `AIQUM_JOBS_SOAK=1` runs the full scenario of docs/RELIABILITY.md.
const soak = process.env.AIQUM_JOBS_SOAK === '1';
const requestCount = soak ? 1_000 : 300;
const kills = soak ? 20 : 6;

let pipeline: PipelineUnderTest;

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
            faults: { latencyMs: { min: 100, max: 400 } },
          },
        ],
      },
    },
  });
}, 60_000);
afterAll(() => pipeline.close());

describe('worker crashes', () => {
  it(`loses nothing and submits nothing twice while workers are SIGKILLed ${kills} times`, async () => {
    const requests: RequestInput[] = Array.from({ length: requestCount }, (_, index) => ({
      method: 'POST',
      path: '/api/storage-provider/luns',
      body: {
        name: `${index % 10 === 0 ? 'instant' : 'lun'}_${index}`,
        os_type: 'linux',
        space: { size: 1073741824 },
        svm: { name: index % 2 === 0 ? 'vs1' : 'vs2' },
        performance_service_level: { name: 'Value' },
      },
    }));
    const { batchId, requestIds } = await pipeline.submitBatch(requests);

    const restartedAfterMs: number[] = [];
    for (let kill = 0; kill < kills; kill += 1) {
      await new Promise((resolve) => setTimeout(resolve, 700 + Math.random() * 600));
      const alive = pipeline.workers.filter((worker) => worker.running);
      const victim = alive[Math.floor(Math.random() * alive.length)];
      if (!victim) break;
      victim.signal('SIGKILL');
      await victim.exited;
      const started = Date.now();
      await pipeline.startWorker();
      restartedAfterMs.push(Date.now() - started);
    }

    await pipeline.waitForBatch(batchId, soak ? 300_000 : 120_000);
    const report = await pipeline.report(batchId, requestIds);
    expect(report).toMatchObject({
      requests: requestCount,
      lost: 0,
      duplicateEvents: 0,
      batchCompleted: 1,
      duplicateSubmissions: 0,
    });
    // Only submissions a kill interrupted may end unknown; everything else succeeds, nothing twice.
    const unknown = report.byOutcome.unknown ?? 0;
    expect(report.unknownCodes).toEqual(unknown > 0 ? { SUBMISSION_AMBIGUOUS: unknown } : {});
    expect((report.byOutcome.succeeded ?? 0) + unknown).toBe(requestCount);
    console.info(`worker crashes: ${JSON.stringify({ kills, ...report, restartedAfterMs })}`);
  });
});
