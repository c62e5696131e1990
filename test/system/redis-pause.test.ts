import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PipelineUnderTest,
  redisOutagePipeline,
  runThroughRedisOutage,
  type ServiceProcess,
} from '../src/index.js';

// The bounded run is part of `npm test`; `AIQUM_JOBS_SOAK=1` runs the full scenario of docs/RELIABILITY.md.
const soak = process.env.AIQUM_JOBS_SOAK === '1';
const requestCount = soak ? 1_000 : 300;
const pauseMs = 10_000;
/** The producer API's Redis command timeout: about what a caller waits for a 503 on a Redis that hangs. */
const commandTimeoutMs = 2_000;

let pipeline: PipelineUnderTest;
let api: ServiceProcess;

beforeAll(async () => {
  pipeline = await PipelineUnderTest.start(redisOutagePipeline);
  api = await pipeline.startProducerApi({ PRODUCER_REDIS_COMMAND_TIMEOUT_MS: String(commandTimeoutMs) });
}, 60_000);
afterAll(async () => {
  // A failed run must not leave Redis stopped: closing the workers needs it.
  pipeline.redis.signal('SIGCONT');
  await pipeline.close();
});

describe('Redis unreachable', () => {
  it(`loses nothing when Redis is paused (SIGSTOP) for ${pauseMs} ms mid-batch`, async () => {
    const { downAt, upAt, answers, report, audit, finishedAt } = await runThroughRedisOutage(pipeline, api, {
      requestCount,
      svm: 'vs2',
      batchTimeoutMs: soak ? 300_000 : 120_000,
      outage: async (probe) => {
        await pipeline.redis.pause();
        const pausedAt = Date.now();
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
        // Redis resumes once the POSTs of the pause so far have their answers, however slow those are;
        // an API that waited for Redis would still have none after many command timeouts.
        await Promise.race([
          probe.answeredFiredBefore(pausedAt + pauseMs),
          new Promise((resolve) => setTimeout(resolve, 10 * commandTimeoutMs)),
        ]);
        const resumedAt = Date.now();
        pipeline.redis.signal('SIGCONT');
        return { downAt: pausedAt, upAt: resumedAt };
      },
    });

    // Every POST sent in the pause's first `pauseMs` was answered 503 while Redis still hung.
    const duringPause = answers.filter((answer) => answer.firedAt >= downAt && answer.firedAt < upAt);
    const inFirstPauseMs = duringPause.filter((answer) => answer.firedAt < downAt + pauseMs);
    expect(inFirstPauseMs.length).toBeGreaterThan(0);
    expect(inFirstPauseMs.filter((answer) => answer.status !== 503 || answer.answeredAt > upAt)).toEqual([]);

    const pauseLatencies = duringPause.map((answer) => answer.answeredAt - answer.firedAt);
    console.info(
      `redis pause: ${JSON.stringify({
        ...report,
        pauseMs,
        completedAfterResume: finishedAt.filter((at) => at >= upAt).length,
        firstCompletionAfterResumeMs: Math.min(...finishedAt.filter((at) => at >= upAt)) - upAt,
        batchDoneAfterResumeMs: Math.max(...finishedAt) - upAt,
        pausedMs: upAt - downAt,
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
