import { lunRequest, waitUntil } from '@aiqum-jobs/test-support';
import { expect } from 'vitest';
import { ApiProbe, type ProbeAnswer, type ProbeAudit } from './api-probe.js';
import {
  type GuaranteeReport,
  guaranteesKept,
  type OutageWindow,
  type PipelineOptions,
  type PipelineUnderTest,
} from './pipeline-under-test.js';
import type { ServiceProcess } from './service-process.js';

/** The pipeline of the Redis outage tests: Redis on an AOF so that it can come back with what it had. */
export const redisOutagePipeline: PipelineOptions = {
  workers: 2,
  redis: { appendOnly: true },
  target: { limits: { maxConcurrent: 12, maxPerSecond: 2_000 } },
  simulator: {
    tls: true,
    scenario: {
      rules: [
        {
          match: { method: 'POST' },
          job: { durationMs: { min: 0, max: 8_000 } },
          // Slow submissions, so that the outage lands while calls are in flight.
          faults: { latencyMs: { min: 50, max: 300 } },
        },
      ],
    },
  },
};

export interface RedisOutageRun extends OutageWindow {
  /** The probe's POSTs to the producer API. */
  answers: readonly ProbeAnswer[];
  report: GuaranteeReport;
  audit: ProbeAudit;
  /** `finishedAt` of the batch's `request.completed` events. */
  finishedAt: number[];
}

/**
 * Submits a batch of `requestCount` LUN creates on `svm` and probes `api` with a POST every 250 ms; once
 * a tenth of the batch has completed, runs `outage` (given the probe), which says when Redis was surely
 * down; probes 2 s more, then waits for the batch and for every request the API accepted. Expects what no Redis outage may break: nothing lost or done twice,
 * every worker and the API still in the same process, every 202 completed once, nothing left behind by
 * the other answers.
 */
export async function runThroughRedisOutage(
  pipeline: PipelineUnderTest,
  api: ServiceProcess,
  options: {
    requestCount: number;
    svm: string;
    batchTimeoutMs: number;
    outage: (probe: ApiProbe) => Promise<OutageWindow>;
  },
): Promise<RedisOutageRun> {
  const { requestCount } = options;
  const request = (name: string) => lunRequest(name, { svm: options.svm });
  const requests = Array.from({ length: requestCount }, (_, index) => request(`lun_${index}`));
  const { batchId, requestIds } = await pipeline.submitBatch(requests);
  const workers = [...pipeline.workers];
  const probe = new ApiProbe({ apiUrl: api.url, request });
  const probing = new AbortController();
  const firing = probe.fireEvery(250, probing.signal);

  // Mid-batch: some requests done, most still to submit or track.
  await waitUntil(
    async () => {
      const batch = await pipeline.producer.getBatch(batchId);
      return batch !== undefined && batch.byStatus.completed >= requestCount / 10;
    },
    { timeoutMs: 60_000, intervalMs: 100, what: 'a tenth of the batch to complete' },
  );
  const outage = await options.outage(probe);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  probing.abort();
  await firing;
  const answers = await probe.settled();

  await pipeline.waitForBatch(batchId, options.batchTimeoutMs);
  await waitUntil(
    async () => {
      const views = await Promise.all(probe.acceptedRequestIds.map((id) => pipeline.producer.get(id)));
      return views.every((view) => view?.status === 'completed');
    },
    { timeoutMs: 60_000, intervalMs: 250, what: 'every request the API accepted to complete' },
  );

  const report = await pipeline.report(batchId, requestIds);
  expect(report).toMatchObject(guaranteesKept(requestCount));
  // Every worker and the producer API rode out the outage in the same process.
  expect(workers.every((worker) => worker.running)).toBe(true);
  expect(pipeline.workers).toHaveLength(workers.length);
  expect(api.running).toBe(true);

  const events = await pipeline.events();
  const audit = await probe.audit(pipeline.redis.url, pipeline.prefix, events);
  expect(audit).toMatchObject({
    otherStatuses: [],
    acceptedNotCompletedOnce: 0,
    leftBehind: { requests: 0, batches: 0, queueJobs: 0, events: 0 },
  });
  const submissions = pipeline.simulator.stats().submissions;
  expect(probe.acceptedRequestIds.filter((id) => (submissions[id] ?? 0) > 1)).toEqual([]);

  const finishedAt = events.flatMap((event) =>
    event.type === 'request.completed' && event.batchId === batchId ? [Date.parse(event.finishedAt)] : [],
  );
  return { ...outage, answers, report, audit, finishedAt };
}
