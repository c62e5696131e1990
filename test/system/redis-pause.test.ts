import type { RequestInput } from '@aiqum-jobs/core';
import { waitUntil } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProbe, PipelineUnderTest, type ServiceProcess } from '../src/index.js';

// The bounded run is part of `npm test`; `AIQUM_JOBS_SOAK=1` runs the full scenario of docs/RELIABILITY.md.
const soak = process.env.AIQUM_JOBS_SOAK === '1';
const requestCount = soak ? 1_000 : 300;
const pauseMs = 10_000;
/** The producer API's Redis command timeout: what a caller waits at most for a 503 on a Redis that hangs. */
const commandTimeoutMs = 2_000;

const lun = (name: string): RequestInput => ({
  method: 'POST',
  path: '/api/storage-provider/luns',
  body: {
    name,
    os_type: 'linux',
    space: { size: 1073741824 },
    svm: { name: 'vs2' },
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
            // Slow submissions, so that the pause lands while calls are in flight.
            faults: { latencyMs: { min: 50, max: 300 } },
          },
        ],
      },
    },
  });
  api = await pipeline.startProducerApi({ PRODUCER_REDIS_COMMAND_TIMEOUT_MS: String(commandTimeoutMs) });
}, 60_000);
afterAll(async () => {
  // A failed run must not leave Redis stopped: closing the workers needs it.
  pipeline.redis.signal('SIGCONT');
  await pipeline.close();
});

describe('Redis unreachable', () => {
  it(`loses nothing when Redis is paused (SIGSTOP) for ${pauseMs} ms mid-batch`, async () => {
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
    const pausedAt = Date.now();
    pipeline.redis.signal('SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    pipeline.redis.signal('SIGCONT');
    const resumedAt = Date.now();
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
    expect(workers.every((worker) => worker.running)).toBe(true);
    expect(pipeline.workers).toHaveLength(workers.length);
    expect(api.running).toBe(true);

    // A POST sent while Redis hangs is answered 503 after one command timeout (not after its undo too),
    // so every POST sent two timeouts or more before Redis resumed is answered 503 while it still hangs.
    const duringPause = answers.filter((answer) => answer.firedAt >= pausedAt && answer.firedAt < resumedAt);
    const answerableInPause = duringPause.filter(
      (answer) => answer.firedAt + 2 * commandTimeoutMs <= resumedAt,
    );
    expect(answerableInPause.length).toBeGreaterThan(0);
    expect(
      answerableInPause.filter((answer) => answer.status !== 503 || answer.answeredAt > resumedAt),
    ).toEqual([]);
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
    const pauseLatencies = duringPause.map((answer) => answer.answeredAt - answer.firedAt);
    console.info(
      `redis pause: ${JSON.stringify({
        ...report,
        pauseMs,
        completedAfterResume: finishedAt.filter((at) => at >= resumedAt).length,
        firstCompletionAfterResumeMs: Math.min(...finishedAt.filter((at) => at >= resumedAt)) - resumedAt,
        batchDoneAfterResumeMs: Math.max(...finishedAt) - resumedAt,
        probe: {
          posts: answers.length,
          accepted: audit.accepted,
          refused: audit.refused,
          duringPause: duringPause.length,
          duringPauseStatuses: duringPause.map((answer) => answer.status),
          maxPauseAnswerMs: Math.max(...pauseLatencies),
          leftBehind: audit.leftBehind,
        },
      })}`,
    );
  });
});
