import type { RequestInput } from '@aiqum-jobs/core';
import { waitUntil } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProbe, PipelineUnderTest, type ServiceProcess } from '../src/index.js';

// The bounded run is part of `npm test`; `AIQUM_JOBS_SOAK=1` runs the full scenario of docs/RELIABILITY.md.
const soak = process.env.AIQUM_JOBS_SOAK === '1';
const requestCount = soak ? 1_000 : 300;
const downMs = soak ? 10_000 : 4_000;
/** The producer API's Redis command timeout: what a caller waits at most for a 503 on a Redis that hangs. */
const commandTimeoutMs = 2_000;

const lun = (name: string): RequestInput => ({
  method: 'POST',
  path: '/api/storage-provider/luns',
  body: {
    name,
    os_type: 'linux',
    space: { size: 1073741824 },
    svm: { name: 'vs1' },
    performance_service_level: { name: 'Value' },
  },
});

let pipeline: PipelineUnderTest;
let api: ServiceProcess;

beforeAll(async () => {
  pipeline = await PipelineUnderTest.start({
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
            // Slow submissions, so that the kill lands while calls are in flight.
            faults: { latencyMs: { min: 50, max: 300 } },
          },
        ],
      },
    },
  });
  api = await pipeline.startProducerApi({ PRODUCER_REDIS_COMMAND_TIMEOUT_MS: String(commandTimeoutMs) });
}, 60_000);
afterAll(() => pipeline.close());

describe('Redis restart', () => {
  it(`loses nothing when Redis is SIGKILLed mid-batch and restarted ${downMs} ms later on its AOF`, async () => {
    const requests = Array.from({ length: requestCount }, (_, index) => lun(`lun_${index}`));
    const { batchId, requestIds } = await pipeline.submitBatch(requests);
    const workers = [...pipeline.workers];
    const probe = new ApiProbe({ apiUrl: api.url, request: lun });
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
    const killedAt = Date.now();
    await pipeline.restartRedis(downMs);
    const backAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    probing.abort();
    await firing;
    const answers = await probe.settled();

    await pipeline.waitForBatch(batchId, soak ? 300_000 : 120_000);
    await waitUntil(
      async () => {
        const views = await Promise.all(probe.acceptedRequestIds.map((id) => pipeline.producer.get(id)));
        return views.every((view) => view?.status === 'completed');
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'every request the API accepted to complete' },
    );

    const report = await pipeline.report(batchId, requestIds);
    expect(report).toMatchObject({
      requests: requestCount,
      lost: 0,
      duplicateEvents: 0,
      batchCompleted: 1,
      duplicateSubmissions: 0,
    });
    // Every worker and the producer API rode out the restart in the same process.
    expect(workers.every((worker) => worker.running)).toBe(true);
    expect(pipeline.workers).toHaveLength(workers.length);
    expect(api.running).toBe(true);

    // While Redis was down the API said 503, at once (connections are refused), and never 202. Redis
    // starts again `downMs` after the kill, a little before `restartRedis` has seen it answer.
    const duringOutage = answers.filter(
      (answer) => answer.firedAt >= killedAt && answer.answeredAt < killedAt + downMs,
    );
    expect(duringOutage.length).toBeGreaterThan(0);
    expect(duringOutage.filter((answer) => answer.status !== 503)).toEqual([]);
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
    const batchDoneAt = Math.max(...finishedAt);
    const firstCompletionAfterBackMs = Math.min(...finishedAt.filter((at) => at >= backAt)) - backAt;
    const outageLatencies = duringOutage.map((answer) => answer.answeredAt - answer.firedAt);
    console.info(
      `redis restart: ${JSON.stringify({
        ...report,
        downMs,
        outageMs: backAt - killedAt,
        completedAfterBack: finishedAt.filter((at) => at >= backAt).length,
        firstCompletionAfterBackMs,
        batchDoneAfterBackMs: batchDoneAt - backAt,
        probe: {
          posts: answers.length,
          accepted: audit.accepted,
          refused: audit.refused,
          duringOutage: duringOutage.length,
          maxOutageAnswerMs: Math.max(...outageLatencies),
          leftBehind: audit.leftBehind,
        },
      })}`,
    );
  });
});
