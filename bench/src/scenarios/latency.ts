import { BenchPipeline } from '../bench-pipeline.js';
import { CompletionStream } from '../completion-stream.js';
import { lunRequests } from '../lun-requests.js';
import { type Distribution, distribution } from '../percentiles.js';
import type { ScenarioOutcome, TargetCheck } from '../report.js';
import { SimulatorProcess } from '../simulator-process.js';
import type { ScenarioContext } from './scenario-context.js';

export interface LatencySizes {
  jobs: number;
}

export function latencySizes(quick: boolean): LatencySizes {
  return quick ? { jobs: 50 } : { jobs: 500 };
}

/** The interval policy of the interval run: one poll a second, no backoff, no jitter. */
const intervalMs = 1_000;
const longPollWaitSeconds = 30;

export interface LatencyRun {
  mode: 'interval' | 'long poll';
  jobs: number;
  /** From the simulator's end of a job to its `request.completed` stream entry, in ms. */
  latencyMs: Distribution;
  getsPerJob: Distribution;
  /** Jobs that took more GETs than 1 + ⌈duration / long-poll wait⌉. */
  overGetBudget: number;
  /** Jobs that took more GETs than a 1 s poller would have (⌈duration / 1 s⌉ + 1). */
  overOneSecondPoller: number;
}

/**
 * Scenario 3: jobs lasting 1–10 s. For each, the time from the simulator's end of the job (its ground
 * truth) to its `request.completed` entry in the stream, and the GETs its tracking took; once with
 * interval polling, once with long polling, on the same simulator.
 */
export async function runLatency(
  context: ScenarioContext,
  sizes: LatencySizes = latencySizes(context.quick),
): Promise<ScenarioOutcome> {
  const simulator = await SimulatorProcess.start({ longPoll: true });
  await simulator.setScenario({
    rules: [{ match: { method: 'POST' }, job: { durationMs: { min: 1_000, max: 10_000 } } }],
  });
  try {
    const interval = await measure(context, simulator, sizes.jobs, 'interval');
    const longPoll = await measure(context, simulator, sizes.jobs, 'long poll');
    const targets: TargetCheck[] = [
      {
        id: 'P3',
        target: `p99 ≤ 50 ms with long polling; ≤ poll interval + 50 ms (${intervalMs + 50} ms) without`,
        measured: `p99 ${longPoll.latencyMs.p99} ms long poll, ${interval.latencyMs.p99} ms interval`,
        met: longPoll.latencyMs.p99 <= 50 && interval.latencyMs.p99 <= intervalMs + 50,
      },
      {
        id: 'P4',
        target: `long poll: GETs / job ≤ 1 + ⌈duration / ${longPollWaitSeconds} s⌉; never more than a 1 s poller`,
        measured: `max ${longPoll.getsPerJob.max} GETs / job (mean ${longPoll.getsPerJob.mean}); ${longPoll.overGetBudget} jobs over budget, ${longPoll.overOneSecondPoller} over a 1 s poller`,
        met: longPoll.overGetBudget === 0 && longPoll.overOneSecondPoller === 0,
      },
    ];
    const row = (run: LatencyRun) => [
      run.mode,
      run.jobs,
      run.latencyMs.p50,
      run.latencyMs.p95,
      run.latencyMs.p99,
      run.latencyMs.max,
      run.getsPerJob.mean,
      run.getsPerJob.max,
    ];
    return {
      settings: {
        ...sizes,
        workers: 1,
        simulatorJobDurationMs: '1,000–10,000',
        intervalPolicy: { initialDelayMs: intervalMs, multiplier: 1, maxDelayMs: intervalMs, jitter: 0 },
        longPoll: { parameter: 'poll_timeout', maxWaitSeconds: longPollWaitSeconds },
      },
      results: { interval, longPoll },
      tables: [
        {
          title: `Latency: ${sizes.jobs} jobs of 1–10 s, job end (simulator) → request.completed in the stream`,
          header: ['polling', 'jobs', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'GETs / job', 'max GETs / job'],
          rows: [row(interval), row(longPoll)],
        },
      ],
      targets,
      summary: {
        jobs: sizes.jobs,
        intervalP99Ms: interval.latencyMs.p99,
        longPollP50Ms: longPoll.latencyMs.p50,
        longPollP99Ms: longPoll.latencyMs.p99,
        intervalGetsPerJob: interval.getsPerJob.mean,
        longPollGetsPerJob: longPoll.getsPerJob.mean,
      },
    };
  } finally {
    await simulator.close();
  }
}

async function measure(
  context: ScenarioContext,
  simulator: SimulatorProcess,
  jobs: number,
  mode: LatencyRun['mode'],
): Promise<LatencyRun> {
  const { redis } = context;
  await simulator.reset();
  // A long poll holds its worker slot and its connection while it waits: every job needs one at once.
  const slots = mode === 'long poll' ? jobs + 10 : 50;
  const pipeline = await BenchPipeline.start({
    redisUrl: redis.url,
    simulatorUrl: simulator.url,
    workers: 1,
    concurrency: slots,
    limits: { maxConcurrent: Math.min(slots, 1_000), maxPerSecond: 10_000 },
    poll: { initialDelayMs: intervalMs, multiplier: 1, maxDelayMs: intervalMs, jitter: 0 },
    ...(mode === 'long poll'
      ? {
          longPoll: {
            parameter: 'poll_timeout',
            lastModifiedParameter: 'last_modified',
            maxWaitSeconds: longPollWaitSeconds,
          },
        }
      : {}),
  });
  const stream = await CompletionStream.start(redis.url, pipeline.eventsKey);
  try {
    await pipeline.submit(lunRequests(jobs, mode === 'long poll' ? 'longpoll' : 'interval'));
    await stream.waitForCount(jobs, 120_000);
    const stats = await simulator.stats();
    const latencies: number[] = [];
    const gets: number[] = [];
    let overGetBudget = 0;
    let overOneSecondPoller = 0;
    for (const completed of stream.completed) {
      const view = await pipeline.producer.get(completed.requestId);
      if (view?.job?.kind !== 'aiqum') throw new Error(`request ${completed.requestId} has no AIQUM job`);
      const truth = await simulator.job(view.job.key);
      const endMs = Date.parse(truth.endTime);
      const durationMs = endMs - Date.parse(truth.submitTime);
      latencies.push(completed.streamMs - endMs);
      const count = stats.polls[view.job.key] ?? 0;
      gets.push(count);
      if (count > 1 + Math.ceil(durationMs / (longPollWaitSeconds * 1000))) overGetBudget += 1;
      if (count > Math.ceil(durationMs / 1000) + 1) overOneSecondPoller += 1;
    }
    return {
      mode,
      jobs,
      latencyMs: distribution(latencies),
      getsPerJob: distribution(gets),
      overGetBudget,
      overOneSecondPoller,
    };
  } finally {
    await stream.close();
    await pipeline.close();
  }
}
