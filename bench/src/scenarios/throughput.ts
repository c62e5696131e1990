import { isRedisCluster } from '@aiqum-jobs/contracts';
import { BenchPipeline } from '../bench-pipeline.js';
import { measureBullmqCeiling } from '../bullmq-ceiling.js';
import { measureStepJobBaseline } from '../bullmq-step-baseline.js';
import { CompletionStream } from '../completion-stream.js';
import { summarizeCpuProfiles } from '../cpu-profile.js';
import { waitForFanOut } from '../fan-out-progress.js';
import { measureHttpCeiling } from '../http-ceiling.js';
import { lunRequests } from '../lun-requests.js';
import { round } from '../percentiles.js';
import { cpuByRole, cpuSpent } from '../process-cpu.js';
import { commandCounts, commandDelta, slowCommands, topCommands, totalCalls } from '../redis-stats.js';
import type { ScenarioOutcome, TargetCheck } from '../report.js';
import { RoundTripCounter } from '../round-trip-counter.js';
import { httpCalls, SimulatorProcess } from '../simulator-process.js';
import { profilingArgs, type ScenarioContext } from './scenario-context.js';

export interface ThroughputSizes {
  /** Requests of the timed run (and jobs of the raw BullMQ run). */
  requests: number;
  /** Requests of the small run under MONITOR (MONITOR slows Redis, so it is not timed). */
  monitorRequests: number;
  /** Jobs of the plain BullMQ step-job baseline. */
  stepJobs: number;
}

export function throughputSizes(quick: boolean): ThroughputSizes {
  return quick
    ? { requests: 2_000, monitorRequests: 200, stepJobs: 200 }
    : { requests: 20_000, monitorRequests: 1_000, stepJobs: 1_000 };
}

/** Per worker process; the target limit lets every worker use all of its slots. */
const concurrency = 100;
/** The bare HTTP client's pool: what a well-tuned script would use against one AIQUM. */
const bareClient = { connections: 32, inFlight: 100 };

/**
 * Scenario 1: requests whose AIQUM jobs finish at once, from the producer library to their completion
 * events. A small run under MONITOR counts the commands each request costs; the timed run measures
 * requests/s, Redis work (commandstats) and HTTP calls; then a bare HTTP client against the same simulator
 * (the AIQUM calls alone), and on the same Redis the raw BullMQ ceiling and the plain BullMQ step-job baseline.
 */
export async function runThroughput(
  context: ScenarioContext,
  sizes: ThroughputSizes = throughputSizes(context.quick),
): Promise<ScenarioOutcome> {
  const { redis } = context;
  const simulator = await SimulatorProcess.start();
  await simulator.setScenario({ rules: [{ match: { method: 'POST' }, job: { durationMs: 0 } }] });
  const poll = { initialDelayMs: 200, multiplier: 1.5, maxDelayMs: 2_000, jitter: 0 };
  const settings = {
    ...sizes,
    workers: context.workers,
    concurrency,
    limits: { maxConcurrent: concurrency * context.workers, maxPerSecond: 10_000 },
    poll,
    simulatorJobDurationMs: 0,
  };
  const pipeline = await BenchPipeline.start({
    redisUrl: redis.url,
    simulatorUrl: simulator.url,
    workers: context.workers,
    concurrency,
    limits: settings.limits,
    poll,
    workerNodeArgs: profilingArgs(context.cpuProfileDir),
  });
  const stream = await CompletionStream.start(redis.url, pipeline.eventsKey);
  try {
    // 1. Commands per request, counted with MONITOR on a small run, from a stream fully fanned out to when
    // this run's events are (the webhook fan-out's reads and acknowledgements are part of a request's cost).
    await waitForFanOut(redis.admin, pipeline.eventsKey, 60_000);
    const counter = await RoundTripCounter.start(
      redis.url,
      new Map([
        [
          isRedisCluster(pipeline.producerRedis) ? -1 : (pipeline.producerRedis.stream?.localPort ?? -1),
          'producer',
        ],
        [stream.localPort ?? -1, 'events reader'],
        [redis.admin.stream?.localPort ?? -1, 'ignored'],
      ]),
      'worker',
    );
    const monitorBefore = await commandCounts(redis.admin);
    await pipeline.submit(lunRequests(sizes.monitorRequests, 'monitored'));
    await stream.waitForCount(sizes.monitorRequests, 120_000);
    await waitForFanOut(redis.admin, pipeline.eventsKey, 120_000);
    const trips = counter.stop();
    const monitorCommands = totalCalls(commandDelta(monitorBefore, await commandCounts(redis.admin)));
    const perMonitored = (count: number) => round(count / sizes.monitorRequests);
    const roundTripsByRole = Object.fromEntries(
      Object.entries(trips.byRole).map(([role, count]) => [role, perMonitored(count)]),
    );
    const ourRoundTrips = perMonitored((trips.byRole.producer ?? 0) + (trips.byRole.worker ?? 0));
    const roundTripsByCommand = Object.fromEntries(
      topCommands(trips.byRoleCommand, 20).map(([command, count]) => [command, perMonitored(count)]),
    );

    // 2. The timed run.
    await simulator.reset();
    const roles = {
      worker: pipeline.workers.map((worker) => worker.pid),
      simulator: [simulator.service.pid],
      redis: redis.pid === undefined ? [] : [redis.pid],
      bench: [process.pid],
    };
    const cpuBefore = cpuByRole(roles);
    const commandsBefore = await commandCounts(redis.admin);
    const startedMs = Date.now();
    const started = performance.now();
    await pipeline.submit(lunRequests(sizes.requests, 'timed'));
    const acceptedMs = performance.now() - started;
    await stream.waitForCount(sizes.monitorRequests + sizes.requests, 600_000);
    const last = stream.completed[stream.completed.length - 1];
    const elapsedMs = (last?.streamMs ?? Date.now()) - startedMs;
    // From the last completion seen to the fan-out's acknowledgement of every event: its lag at the end.
    const fanOutLagMs = Math.round(await waitForFanOut(redis.admin, pipeline.eventsKey, 600_000));
    const commands = commandDelta(commandsBefore, await commandCounts(redis.admin));
    const cpu = cpuSpent(cpuBefore, cpuByRole(roles));
    const simStats = await simulator.stats();
    const timed = stream.completed.slice(sizes.monitorRequests);
    const outcomes: Record<string, number> = {};
    for (const completed of timed) outcomes[completed.outcome] = (outcomes[completed.outcome] ?? 0) + 1;
    const requestsPerSecond = round((sizes.requests / elapsedMs) * 1000, 1);
    const commandsPerRequest = round(totalCalls(commands) / sizes.requests);
    const httpPerRequest = round(httpCalls(simStats) / sizes.requests, 3);
    const slowlog = redis.owned ? await slowCommands(redis.admin, 10) : [];
    await stream.close();
    await pipeline.close();
    const profile =
      context.cpuProfileDir === undefined ? undefined : summarizeCpuProfiles(context.cpuProfileDir);

    // 3. The same simulator with a bare HTTP client; the same Redis with raw BullMQ and the step-job pattern.
    await simulator.reset();
    const http = await measureHttpCeiling(simulator, lunRequests(sizes.requests, 'bare'), bareClient);
    const ratioToHttp = round(requestsPerSecond / http.pairsPerSecond, 3);
    const ceiling = await measureBullmqCeiling(redis.url, sizes.requests, concurrency);
    const stepJob = await measureStepJobBaseline(redis, sizes.stepJobs, 50);
    const ratioToCeiling = round(requestsPerSecond / ceiling.jobsPerSecond, 3);

    const targets: TargetCheck[] = [
      {
        id: 'P1',
        target: '≥ 2,500 requests/s end to end, and ≥ 0.15 × raw BullMQ',
        measured: `${requestsPerSecond} requests/s; ${ratioToCeiling} × BullMQ (${round(ceiling.jobsPerSecond, 0)} jobs/s)`,
        met: requestsPerSecond >= 2_500 && ratioToCeiling >= 0.15,
      },
      {
        id: 'P5',
        target: `≤ 6 round trips per request finished at its first poll, webhook fan-out included; Redis work < the step-job baseline (${round(stepJob.commandsPerJob, 1)}); fan-out lag at the end ≤ 1 s`,
        measured: `${ourRoundTrips} round trips, ${commandsPerRequest} commands of Redis work per request; fan-out lag ${fanOutLagMs} ms`,
        met: ourRoundTrips <= 6 && commandsPerRequest < stepJob.commandsPerJob && fanOutLagMs <= 1_000,
      },
    ];
    return {
      settings,
      results: {
        requestsPerSecond,
        elapsedMs: Math.round(elapsedMs),
        fanOutLagMs,
        submitMs: Math.round(acceptedMs),
        outcomes,
        duplicateEvents: stream.duplicates,
        roundTripsPerRequest: ourRoundTrips,
        roundTripsByRole,
        roundTripsByCommand,
        commandsPerRequestUnderMonitor: perMonitored(monitorCommands),
        commandsPerRequest,
        commandsByName: Object.fromEntries(
          topCommands(commands, 25).map(([name, count]) => [name, round(count / sizes.requests)]),
        ),
        httpCallsPerRequest: httpPerRequest,
        httpCallsByRoute: simStats.requests,
        cpuSeconds: cpu,
        cpuMsPerRequest: Object.fromEntries(
          Object.entries(cpu).map(([role, seconds]) => [role, round((seconds * 1000) / sizes.requests, 3)]),
        ),
        bullmqCeiling: {
          ...ceiling,
          jobsPerSecond: round(ceiling.jobsPerSecond, 1),
          elapsedMs: Math.round(ceiling.elapsedMs),
        },
        ratioToBullmqCeiling: ratioToCeiling,
        httpCeiling: {
          ...http,
          pairsPerSecond: round(http.pairsPerSecond, 1),
          elapsedMs: Math.round(http.elapsedMs),
          clientCpuMsPerPair: round(http.clientCpuMsPerPair, 3),
          simulatorCpuMsPerPair: round(http.simulatorCpuMsPerPair, 3),
        },
        ratioToHttpCeiling: ratioToHttp,
        stepJobBaseline: {
          ...stepJob,
          roundTripsPerJob: round(stepJob.roundTripsPerJob),
          commandsPerJob: round(stepJob.commandsPerJob),
        },
        slowlog,
        ...(profile ? { workerProfile: profile } : {}),
      },
      tables: [
        {
          title: `Throughput: ${sizes.requests.toLocaleString('en-US')} requests, jobs finished at once (${context.workers} worker processes × ${concurrency})`,
          header: [
            'measure',
            'aiqum-jobs',
            `bare undici POST + GET (${bareClient.connections} connections, ${bareClient.inFlight} in flight, no Redis)`,
            'raw BullMQ (no-op jobs)',
            'BullMQ step job delayed twice',
            'ratio',
          ],
          rows: [
            [
              'requests (pairs, jobs) / s',
              requestsPerSecond,
              round(http.pairsPerSecond, 1),
              round(ceiling.jobsPerSecond, 1),
              '',
              `${ratioToHttp} × bare HTTP; ${ratioToCeiling} × raw BullMQ`,
            ],
            [
              'round trips (commands sent) / request',
              ourRoundTrips,
              '',
              '',
              round(stepJob.roundTripsPerJob),
              `${round(ourRoundTrips / stepJob.roundTripsPerJob)} × step job`,
            ],
            [
              'Redis work (commandstats) / request',
              commandsPerRequest,
              '',
              '',
              round(stepJob.commandsPerJob),
              `${round(commandsPerRequest / stepJob.commandsPerJob)} × step job`,
            ],
            ['HTTP calls to AIQUM / request', httpPerRequest, 2, '', '', ''],
            ...Object.entries(cpu).map(([role, seconds]) => [
              `CPU ms / request: ${role}`,
              round((seconds * 1000) / sizes.requests, 3),
              role === 'worker'
                ? round(http.clientCpuMsPerPair, 3)
                : role === 'simulator'
                  ? round(http.simulatorCpuMsPerPair, 3)
                  : '',
              '',
              '',
              '',
            ]),
          ],
        },
        {
          title: `Commands sent per request, by client and command (MONITOR, ${sizes.monitorRequests} requests)`,
          header: ['client command', 'per request'],
          rows: Object.entries(roundTripsByCommand),
        },
        {
          title: 'Redis work per request by command (INFO commandstats, timed run)',
          header: ['command', 'per request'],
          rows: topCommands(commands, 15).map(([name, count]) => [name, round(count / sizes.requests)]),
        },
        ...(profile
          ? [
              {
                title: `Worker CPU profile (self time, ${profile.totalMs} ms sampled)`,
                header: ['module', 'self ms', '%'],
                rows: profile.modules.map((entry) => [entry.name, entry.selfMs, entry.share]),
              },
              {
                title: 'Worker CPU profile: busiest functions',
                header: ['function', 'self ms', '%'],
                rows: profile.functions.map((entry) => [entry.name, entry.selfMs, entry.share]),
              },
            ]
          : []),
      ],
      targets,
      summary: {
        requests: sizes.requests,
        requestsPerSecond,
        bullmqJobsPerSecond: round(ceiling.jobsPerSecond, 1),
        ratioToBullmqCeiling: ratioToCeiling,
        bareHttpPairsPerSecond: round(http.pairsPerSecond, 1),
        ratioToHttpCeiling: ratioToHttp,
        roundTripsPerRequest: ourRoundTrips,
        commandsPerRequest,
        fanOutLagMs,
        httpCallsPerRequest: httpPerRequest,
        stepJobRoundTrips: round(stepJob.roundTripsPerJob),
        stepJobCommands: round(stepJob.commandsPerJob),
      },
    };
  } finally {
    await stream.close();
    await pipeline.close();
    await simulator.close();
  }
}
