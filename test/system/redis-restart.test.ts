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
const downMs = soak ? 10_000 : 4_000;
/** The producer API's Redis command timeout: what a caller waits at most for a 503 on a Redis that hangs. */
const commandTimeoutMs = 2_000;

let pipeline: PipelineUnderTest;
let api: ServiceProcess;

beforeAll(async () => {
  pipeline = await PipelineUnderTest.start(redisOutagePipeline);
  api = await pipeline.startProducerApi({ PRODUCER_REDIS_COMMAND_TIMEOUT_MS: String(commandTimeoutMs) });
}, 60_000);
afterAll(() => pipeline.close());

describe('Redis restart', () => {
  it(`loses nothing when Redis is SIGKILLed mid-batch and restarted ${downMs} ms later on its AOF`, async () => {
    const { downAt, upAt, answers, report, audit, finishedAt } = await runThroughRedisOutage(pipeline, api, {
      requestCount,
      svm: 'vs1',
      batchTimeoutMs: soak ? 300_000 : 120_000,
      outage: () => pipeline.restartRedis(downMs),
    });

    // Sent after Redis had died and answered before it was started again: 503, at once (connections are
    // refused), and never 202.
    const duringOutage = answers.filter((answer) => answer.firedAt >= downAt && answer.answeredAt < upAt);
    expect(duringOutage.length).toBeGreaterThan(0);
    expect(duringOutage.filter((answer) => answer.status !== 503)).toEqual([]);

    const batchDoneAt = Math.max(...finishedAt);
    const firstCompletionAfterBackMs = Math.min(...finishedAt.filter((at) => at >= upAt)) - upAt;
    const outageLatencies = duringOutage.map((answer) => answer.answeredAt - answer.firedAt);
    console.info(
      `redis restart: ${JSON.stringify({
        ...report,
        downMs,
        outageMs: upAt - downAt,
        completedAfterBack: finishedAt.filter((at) => at >= upAt).length,
        firstCompletionAfterBackMs,
        batchDoneAfterBackMs: batchDoneAt - upAt,
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
