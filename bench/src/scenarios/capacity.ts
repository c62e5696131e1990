import { setTimeout as sleep } from 'node:timers/promises';
import { BenchPipeline } from '../bench-pipeline.js';
import { summarizeCpuProfiles } from '../cpu-profile.js';
import { lunRequests } from '../lun-requests.js';
import { round } from '../percentiles.js';
import { cpuByRole, cpuSpent } from '../process-cpu.js';
import { RssSampler } from '../process-stats.js';
import { keyBytes, queueBacklog } from '../queue-backlog.js';
import { commandCounts, commandDelta, topCommands, totalCalls, usedMemoryBytes } from '../redis-stats.js';
import type { ScenarioOutcome } from '../report.js';
import { jobGets, SimulatorProcess } from '../simulator-process.js';
import { profilingArgs, type ScenarioContext } from './scenario-context.js';

export interface CapacitySizes {
  tracked: number;
  /** How long the poll rate is measured once every request is tracked. */
  windowMs: number;
}

export function capacitySizes(quick: boolean): CapacitySizes {
  return quick ? { tracked: 10_000, windowMs: 45_000 } : { tracked: 100_000, windowMs: 120_000 };
}

const concurrency = 100;
/** Polled every 30–60 s: 30 s first, then 45 s, then 60 s, each ±10 %. */
const poll = { initialDelayMs: 30_000, multiplier: 1.5, maxDelayMs: 60_000, jitter: 0.2 };
const mib = 1024 * 1024;

/**
 * Scenario 2: one worker process tracks many AIQUM jobs that last about ten minutes. Measures how long it
 * takes until every request is `tracking`, the Redis memory and worker RSS that costs, and the poll rate
 * the worker sustains over a window (against the rate the poll policy asks for).
 */
export async function runCapacity(
  context: ScenarioContext,
  sizes: CapacitySizes = capacitySizes(context.quick),
): Promise<ScenarioOutcome> {
  const { redis } = context;
  const simulator = await SimulatorProcess.start();
  await simulator.setScenario({
    rules: [{ match: { method: 'POST' }, job: { durationMs: { min: 540_000, max: 660_000 } } }],
  });
  const limits = { maxConcurrent: concurrency, maxPerSecond: 10_000 };
  const settings = {
    ...sizes,
    workers: 1,
    concurrency,
    limits,
    poll,
    simulatorJobDurationMs: '540,000–660,000',
  };
  const pipeline = await BenchPipeline.start({
    redisUrl: redis.url,
    simulatorUrl: simulator.url,
    workers: 1,
    concurrency,
    limits,
    poll,
    workerNodeArgs: profilingArgs(context.cpuProfileDir),
  });
  const worker = pipeline.workers[0];
  if (!worker) throw new Error('no worker started');
  const rss = new RssSampler(worker.pid);
  try {
    const memoryBefore = await usedMemoryBytes(redis.admin);
    const rssBefore = rss.sample();
    const started = performance.now();
    const { batchIds, requestIds } = await pipeline.submit(lunRequests(sizes.tracked, 'capacity'));
    const submitMs = performance.now() - started;
    let acceptMs = 0;
    for (;;) {
      const status = await pipeline.byStatus(batchIds);
      if (status.tracking + status.completed >= sizes.tracked) {
        acceptMs = performance.now() - started;
        break;
      }
      if (performance.now() - started > 3_600_000)
        throw new Error(`only ${status.tracking} tracked after an hour`);
      await sleep(500);
    }
    const memoryTracked = await usedMemoryBytes(redis.admin);
    const rssTracked = rss.sample();
    const sampleId = requestIds[Math.floor(requestIds.length / 2)] ?? '';
    const perKey = {
      requestRecord: await keyBytes(redis.admin, `${pipeline.prefix}:request:${sampleId}`),
      queueJob: await keyBytes(redis.admin, `${pipeline.prefix}:requests:${sampleId}`),
      eventsStreamPerRequest: round((await keyBytes(redis.admin, pipeline.eventsKey)) / sizes.tracked, 0),
    };

    // The poll rate the worker sustains, over a window in which every request is tracked.
    const roles = {
      worker: [worker.pid],
      simulator: [simulator.service.pid],
      redis: redis.pid === undefined ? [] : [redis.pid],
    };
    const cpuBefore = cpuByRole(roles);
    const commandsBefore = await commandCounts(redis.admin);
    const getsBefore = jobGets(await simulator.stats());
    const windowStarted = performance.now();
    await sleep(sizes.windowMs);
    const getsAfter = jobGets(await simulator.stats());
    const windowMs = performance.now() - windowStarted;
    const commands = commandDelta(commandsBefore, await commandCounts(redis.admin));
    const cpu = cpuSpent(cpuBefore, cpuByRole(roles));
    const backlog = await queueBacklog(redis.admin, pipeline.prefix, 'lab');
    const memoryAfter = await usedMemoryBytes(redis.admin);
    const { peakBytes } = rss.stop();
    const pollsPerSecond = round(((getsAfter - getsBefore) / windowMs) * 1000, 1);
    // In steady state each request is polled about every maxDelayMs.
    const steadyDemand = round((sizes.tracked / poll.maxDelayMs) * 1000, 1);
    const memoryPerRequest = round((memoryTracked - memoryBefore) / sizes.tracked, 0);
    await pipeline.close();
    const profile =
      context.cpuProfileDir === undefined ? undefined : summarizeCpuProfiles(context.cpuProfileDir);
    const workerRssMiB = round(Math.max(peakBytes, rssTracked) / mib, 1);

    return {
      settings,
      results: {
        tracked: sizes.tracked,
        submitMs: Math.round(submitMs),
        acceptMs: Math.round(acceptMs),
        acceptedPerSecond: round((sizes.tracked / acceptMs) * 1000, 1),
        redisMemoryBytes: { before: memoryBefore, tracked: memoryTracked, afterWindow: memoryAfter },
        redisBytesPerTrackedRequest: memoryPerRequest,
        keyBytes: perKey,
        workerRssMiB: {
          idle: round(rssBefore / mib, 1),
          allTracked: round(rssTracked / mib, 1),
          peak: workerRssMiB,
        },
        pollWindowMs: Math.round(windowMs),
        pollsPerSecond,
        steadyStatePollDemandPerSecond: steadyDemand,
        backlogAtWindowEnd: backlog,
        commandsPerPoll:
          getsAfter > getsBefore ? round(totalCalls(commands) / (getsAfter - getsBefore), 1) : 0,
        commandsByName: Object.fromEntries(topCommands(commands, 15)),
        cpuSeconds: cpu,
        ...(profile ? { workerProfile: profile } : {}),
      },
      tables: [
        {
          title: `Capacity: ${sizes.tracked.toLocaleString('en-US')} jobs of ~10 min tracked by one worker process (polls every 30–60 s)`,
          header: ['measure', 'value'],
          rows: [
            ['time to accept all (every request tracking)', `${round(acceptMs / 1000, 1)} s`],
            ['accepted / s', round((sizes.tracked / acceptMs) * 1000, 1)],
            ['Redis memory / tracked request', `${memoryPerRequest} B`],
            ['… request record (MEMORY USAGE)', `${perKey.requestRecord} B`],
            ['… BullMQ job hash (MEMORY USAGE)', `${perKey.queueJob} B`],
            ['… events stream share', `${perKey.eventsStreamPerRequest} B`],
            [
              'worker RSS, idle → all tracked (peak)',
              `${round(rssBefore / mib, 1)} → ${round(rssTracked / mib, 1)} MiB (${workerRssMiB})`,
            ],
            [`polls / s sustained (${round(windowMs / 1000, 0)} s window)`, pollsPerSecond],
            ['polls / s the policy asks for in steady state', steadyDemand],
            ['backlog at window end (ready, overdue)', `${backlog.waiting}, ${backlog.overdue}`],
            ...Object.entries(cpu).map(([role, seconds]) => [
              `CPU during the window: ${role}`,
              `${round((seconds / windowMs) * 100_000, 1)} %`,
            ]),
          ],
        },
        ...(profile
          ? [
              {
                title: `Worker CPU profile (self time, ${profile.totalMs} ms sampled)`,
                header: ['module', 'self ms', '%'],
                rows: profile.modules.map((entry) => [entry.name, entry.selfMs, entry.share]),
              },
            ]
          : []),
      ],
      targets: [
        {
          id: 'P2',
          target: `${sizes.tracked.toLocaleString('en-US')} tracked by one worker; ≤ 2 KB Redis / request; RSS ≤ 256 MB`,
          measured: `${memoryPerRequest} B / request, ${workerRssMiB} MiB RSS, accepted in ${round(acceptMs / 1000, 1)} s, ${pollsPerSecond} polls/s`,
          met: memoryPerRequest <= 2_048 && workerRssMiB <= 256,
        },
      ],
      summary: {
        tracked: sizes.tracked,
        acceptSeconds: round(acceptMs / 1000, 1),
        redisBytesPerRequest: memoryPerRequest,
        workerRssMiB,
        pollsPerSecond,
        steadyStatePollDemandPerSecond: steadyDemand,
      },
    };
  } finally {
    rss.stop();
    await pipeline.close();
    await simulator.close();
  }
}
