import { createRequestQueue } from '@aiqum-jobs/core';
import { lunRequest } from '@aiqum-jobs/test-support';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guaranteesKept, PipelineUnderTest } from '../src/index.js';

// The bounded run is part of `npm test`; `AIQUM_JOBS_SOAK=1` runs the full scenario of docs/RELIABILITY.md.
const soak = process.env.AIQUM_JOBS_SOAK === '1';
const requestCount = soak ? 1_000 : 300;
const kills = soak ? 20 : 6;

let pipeline: PipelineUnderTest;
let queueConnection: Redis;
let queue: Queue;

/**
 * Waits until every queue job that was active when a worker died has been taken over (started again, or
 * moved on): the time a crashed worker's work waits for another worker.
 */
async function takeoverMs(
  active: Array<{ id: string; attemptsStarted: number }>,
  killedAt: number,
): Promise<number> {
  for (;;) {
    const pending = await Promise.all(
      active.map(async ({ id, attemptsStarted }) => {
        const job = await queue.getJob(id);
        if (!job) return false;
        return (await job.getState()) === 'active' && job.attemptsStarted === attemptsStarted;
      }),
    );
    if (!pending.includes(true)) return Date.now() - killedAt;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

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
  queueConnection = new Redis(pipeline.redis.url, { maxRetriesPerRequest: null });
  queue = createRequestQueue({
    connection: queueConnection,
    prefix: pipeline.prefix,
    retentionSeconds: 3_600,
  });
}, 60_000);
afterAll(async () => {
  await queue.close();
  queueConnection.disconnect();
  await pipeline.close();
});

describe('worker crashes', () => {
  it(`loses nothing and submits nothing twice while workers are SIGKILLed ${kills} times`, async () => {
    const requests = Array.from({ length: requestCount }, (_, index) =>
      lunRequest(`${index % 10 === 0 ? 'instant' : 'lun'}_${index}`, {
        svm: index % 2 === 0 ? 'vs1' : 'vs2',
      }),
    );
    const { batchId, requestIds } = await pipeline.submitBatch(requests);

    const takeovers: Array<Promise<number>> = [];
    for (let kill = 0; kill < kills; kill += 1) {
      await new Promise((resolve) => setTimeout(resolve, 700 + Math.random() * 600));
      const alive = pipeline.workers.filter((worker) => worker.running);
      const victim = alive[Math.floor(Math.random() * alive.length)];
      if (!victim) break;
      // Jobs active now are held by all workers; those of the victim are the ones that will stall.
      const active = (await queue.getActive()).map((job) => ({
        id: job.id ?? '',
        attemptsStarted: job.attemptsStarted,
      }));
      victim.signal('SIGKILL');
      const killedAt = Date.now();
      await victim.exited;
      takeovers.push(takeoverMs(active, killedAt));
      await pipeline.startWorker();
    }

    await pipeline.waitForBatch(batchId, soak ? 300_000 : 120_000);
    const report = await pipeline.report(batchId, requestIds);
    expect(report).toMatchObject(guaranteesKept(requestCount));
    // Only submissions a kill interrupted may end unknown; everything else succeeds, nothing twice.
    const unknown = report.byOutcome.unknown ?? 0;
    expect(report.unknownCodes).toEqual(unknown > 0 ? { SUBMISSION_AMBIGUOUS: unknown } : {});
    expect((report.byOutcome.succeeded ?? 0) + unknown).toBe(requestCount);
    const takeoverTimes = await Promise.all(takeovers);
    console.info(
      `worker crashes: ${JSON.stringify({ kills, ...report, maxTakeoverMs: Math.max(...takeoverTimes), takeoverTimes })}`,
    );
  });
});
