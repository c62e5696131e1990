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
/** The producer API's Redis command timeout: what a caller waits at most for a 503 on a Redis that hangs. */
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
    const {
      startedAt: pausedAt,
      endedAt: resumedAt,
      answers,
      report,
      audit,
      finishedAt,
    } = await runThroughRedisOutage(pipeline, api, {
      requestCount,
      svm: 'vs2',
      batchTimeoutMs: soak ? 300_000 : 120_000,
      outage: async () => {
        pipeline.redis.signal('SIGSTOP');
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
        pipeline.redis.signal('SIGCONT');
      },
    });

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
