import { setTimeout as sleep } from 'node:timers/promises';
import { BenchPipeline } from '../bench-pipeline.js';
import { CompletionStream } from '../completion-stream.js';
import { lunRequests } from '../lun-requests.js';
import { runPeerProcess } from '../peers/peer-process.js';
import { round } from '../percentiles.js';
import { RssSampler } from '../process-stats.js';
import type { ScenarioOutcome } from '../report.js';
import { jobGets, SimulatorProcess } from '../simulator-process.js';
import type { ScenarioContext } from './scenario-context.js';

export interface PeersSizes {
  jobs: number;
  /** The same for all three: worker slots, async lanes, BullMQ concurrency, and connections to AIQUM. */
  concurrency: number;
  jobDurationMs: number;
  /** Each contender stops after this long; its rate is what it completed meanwhile. */
  capMs: number;
}

export function peersSizes(quick: boolean): PeersSizes {
  return quick
    ? { jobs: 400, concurrency: 5, jobDurationMs: 3_000, capMs: 30_000 }
    : { jobs: 2_000, concurrency: 20, jobDurationMs: 10_000, capMs: 180_000 };
}

interface Contender {
  name: string;
  completed: number;
  elapsedMs: number;
  requestsPerSecond: number;
  getsPerJob: number;
  peakTracked: number;
  peakRssMiB: number;
}

const mib = 1024 * 1024;

/**
 * Scenario 4: the same jobs on the same simulator, in the same run, tracked three ways at equal
 * concurrency: aiqum-jobs (one worker process, default poll policy), (a) an in-process loop polling every
 * second with a concurrency limit, (b) a BullMQ processor that submits and polls while holding its slot.
 */
export async function runPeers(
  context: ScenarioContext,
  sizes: PeersSizes = peersSizes(context.quick),
): Promise<ScenarioOutcome> {
  const simulator = await SimulatorProcess.start();
  await simulator.setScenario({
    rules: [{ match: { method: 'POST' }, job: { durationMs: sizes.jobDurationMs } }],
  });
  try {
    const ours = await runOurs(context, simulator, sizes);
    const peerConfig = {
      simulatorUrl: simulator.url,
      redisUrl: context.redis.url,
      jobs: sizes.jobs,
      concurrency: sizes.concurrency,
      pollIntervalMs: 1_000,
      capMs: sizes.capMs,
    };
    const peers: Contender[] = [];
    for (const kind of ['poll-loop', 'hold-slot'] as const) {
      await simulator.reset();
      const { result, peakRssBytes } = await runPeerProcess({ kind, ...peerConfig });
      peers.push({
        name:
          kind === 'poll-loop' ? '(a) in-process loop, 1 s polls' : '(b) BullMQ processor holding its slot',
        completed: result.completed,
        elapsedMs: Math.round(result.elapsedMs),
        requestsPerSecond: round((result.completed / result.elapsedMs) * 1000, 2),
        getsPerJob: result.completed > 0 ? round(result.getsOfCompleted / result.completed) : 0,
        peakTracked: result.peakTracked,
        peakRssMiB: round(peakRssBytes / mib, 1),
      });
    }
    const [loop, holdSlot] = peers;
    if (!loop || !holdSlot) throw new Error('a peer did not run');
    const ratio = (a: number, b: number) => (b > 0 ? round(a / b, 1) : 0);
    const trackedRatio = ratio(ours.peakTracked, holdSlot.peakTracked);
    const contenders = [ours, loop, holdSlot];
    return {
      settings: {
        ...sizes,
        pollIntervalOfPeersMs: 1_000,
        oursPollPolicy: 'target default (1 s, ×1.5, ≤ 30 s, jitter 0.2)',
      },
      results: {
        contenders,
        ratios: {
          trackedVsHoldSlot: trackedRatio,
          trackedVsLoop: ratio(ours.peakTracked, loop.peakTracked),
          requestsPerSecondVsHoldSlot: ratio(ours.requestsPerSecond, holdSlot.requestsPerSecond),
          requestsPerSecondVsLoop: ratio(ours.requestsPerSecond, loop.requestsPerSecond),
          getsPerJobVsLoop: ratio(ours.getsPerJob, loop.getsPerJob),
        },
      },
      tables: [
        {
          title: `Peers: ${sizes.jobs.toLocaleString('en-US')} jobs of ${sizes.jobDurationMs / 1000} s, concurrency ${sizes.concurrency} each, at most ${sizes.capMs / 1000} s each`,
          header: [
            '',
            'completed',
            's',
            'requests / s',
            'GETs / job',
            'tracked at once (peak)',
            'peak RSS MiB',
          ],
          rows: contenders.map((c) => [
            c.name,
            c.completed,
            round(c.elapsedMs / 1000, 1),
            c.requestsPerSecond,
            c.getsPerJob,
            c.peakTracked,
            c.peakRssMiB,
          ]),
        },
        {
          title: 'aiqum-jobs ÷ peer',
          header: ['measure', '÷ (a) loop', '÷ (b) hold-slot'],
          rows: [
            ['tracked at once', ratio(ours.peakTracked, loop.peakTracked), trackedRatio],
            [
              'requests / s',
              ratio(ours.requestsPerSecond, loop.requestsPerSecond),
              ratio(ours.requestsPerSecond, holdSlot.requestsPerSecond),
            ],
            [
              'GETs / job',
              ratio(ours.getsPerJob, loop.getsPerJob),
              ratio(ours.getsPerJob, holdSlot.getsPerJob),
            ],
            [
              'peak RSS',
              ratio(ours.peakRssMiB, loop.peakRssMiB),
              ratio(ours.peakRssMiB, holdSlot.peakRssMiB),
            ],
          ],
        },
      ],
      targets: [
        {
          id: 'P6',
          target: '≥ 50× more jobs tracked at once than the hold-the-slot pattern at the same concurrency',
          measured: `${ours.peakTracked} vs ${holdSlot.peakTracked} (${trackedRatio}×) at concurrency ${sizes.concurrency}`,
          met: trackedRatio >= 50,
        },
      ],
      summary: {
        jobs: sizes.jobs,
        concurrency: sizes.concurrency,
        oursTracked: ours.peakTracked,
        holdSlotTracked: holdSlot.peakTracked,
        trackedVsHoldSlot: trackedRatio,
        oursRequestsPerSecond: ours.requestsPerSecond,
        loopRequestsPerSecond: loop.requestsPerSecond,
        holdSlotRequestsPerSecond: holdSlot.requestsPerSecond,
        oursGetsPerJob: ours.getsPerJob,
        loopGetsPerJob: loop.getsPerJob,
      },
    };
  } finally {
    await simulator.close();
  }
}

async function runOurs(
  context: ScenarioContext,
  simulator: SimulatorProcess,
  sizes: PeersSizes,
): Promise<Contender> {
  await simulator.reset();
  const pipeline = await BenchPipeline.start({
    redisUrl: context.redis.url,
    simulatorUrl: simulator.url,
    workers: 1,
    concurrency: sizes.concurrency,
    limits: { maxConcurrent: sizes.concurrency, maxPerSecond: 10_000 },
    poll: {},
  });
  const worker = pipeline.workers[0];
  if (!worker) throw new Error('no worker started');
  const rss = new RssSampler(worker.pid, 250);
  const stream = await CompletionStream.start(context.redis.url, pipeline.eventsKey);
  try {
    const started = Date.now();
    const { batchIds } = await pipeline.submit(lunRequests(sizes.jobs, 'ours'));
    let peakTracked = 0;
    while (stream.count < sizes.jobs && Date.now() - started < sizes.capMs) {
      peakTracked = Math.max(peakTracked, (await pipeline.byStatus(batchIds)).tracking);
      await sleep(250);
    }
    // Until the last completion entered the stream when all completed, else until the cap.
    const last = stream.completed[stream.completed.length - 1];
    const elapsedMs = stream.count >= sizes.jobs && last ? last.streamMs - started : Date.now() - started;
    const gets = jobGets(await simulator.stats());
    return {
      name: 'aiqum-jobs (1 worker process)',
      completed: stream.count,
      elapsedMs: Math.round(elapsedMs),
      requestsPerSecond: round((stream.count / elapsedMs) * 1000, 2),
      getsPerJob: stream.count > 0 ? round(gets / stream.count) : 0,
      peakTracked,
      peakRssMiB: round(rss.stop().peakBytes / mib, 1),
    };
  } finally {
    rss.stop();
    await stream.close();
    await pipeline.close();
  }
}
