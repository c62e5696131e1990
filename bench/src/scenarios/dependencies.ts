import type { BatchRequestInput } from '@aiqum-jobs/contracts';
import type { Redis } from 'ioredis';
import { BenchPipeline } from '../bench-pipeline.js';
import { CompletionStream } from '../completion-stream.js';
import { benchLun } from '../lun-requests.js';
import { type Distribution, distribution, round } from '../percentiles.js';
import { cpuByRole, cpuSpent } from '../process-cpu.js';
import { commandCounts, commandDelta, topCommands, totalCalls } from '../redis-stats.js';
import type { ScenarioOutcome, TargetCheck } from '../report.js';
import { httpCalls, SimulatorProcess } from '../simulator-process.js';
import { profilingArgs, type ScenarioContext } from './scenario-context.js';

export interface DependenciesSizes {
  /** Independent chains in the batch. */
  chains: number;
  /** Requests per chain, each depending on the one before it. */
  length: number;
  /** Lone requests, one at a time, that measure one step of a chain on an idle pipeline. */
  loneRequests: number;
}

export function dependenciesSizes(quick: boolean): DependenciesSizes {
  return quick
    ? { chains: 20, length: 50, loneRequests: 10 }
    : { chains: 100, length: 100, loneRequests: 20 };
}

/** Per worker process, as in the throughput scenario; the target's limits let every slot be used. */
const concurrency = 100;
const simulatorJobDurationMs = 0;
const poll = { initialDelayMs: 200, multiplier: 1.5, maxDelayMs: 2_000, jitter: 0 };

/** Chain `chain`'s request at `step` (0 is the chain's first). */
const refOf = (chain: number, step: number) => `c${chain}_${step}`;

/**
 * `chains × length` LUN creations, step by step (every chain's first request, then every chain's second...):
 * with `ordered`, each depends on the one before it in its chain; without, the same requests, independent.
 */
function chainBatch(sizes: DependenciesSizes, ordered: boolean, namePrefix: string): BatchRequestInput[] {
  const requests: BatchRequestInput[] = [];
  for (let step = 0; step < sizes.length; step += 1) {
    for (let chain = 0; chain < sizes.chains; chain += 1) {
      const lun = benchLun(`${namePrefix}_${refOf(chain, step)}`, requests.length);
      if (!ordered) requests.push(lun);
      else {
        const order = step === 0 ? {} : { dependsOn: [refOf(chain, step - 1)] };
        requests.push({ ...lun, ref: refOf(chain, step), ...order });
      }
    }
  }
  return requests;
}

/** When AIQUM accepted each request's call and when it ended, from the records (Redis time, ms). */
async function recordTimes(
  admin: Redis,
  prefix: string,
  requestIds: readonly string[],
): Promise<Array<{ submittedAt: number; finishedAt: number }>> {
  const times: Array<{ submittedAt: number; finishedAt: number }> = [];
  for (let start = 0; start < requestIds.length; start += 1_000) {
    const pipeline = admin.pipeline();
    for (const id of requestIds.slice(start, start + 1_000)) {
      pipeline.hmget(`${prefix}:request:${id}`, 'submittedAt', 'finishedAt');
    }
    for (const [error, fields] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      const [submittedAt, finishedAt] = fields as [string | null, string | null];
      times.push({ submittedAt: Number(submittedAt ?? 'NaN'), finishedAt: Number(finishedAt ?? 'NaN') });
    }
  }
  return times;
}

interface BatchRun {
  elapsedMs: number;
  outcomes: Record<string, number>;
  /** Redis work (INFO commandstats, commands inside scripts included) per request. */
  commandsPerRequest: number;
  commandsByName: Record<string, number>;
  httpCallsPerRequest: number;
  cpuMsPerRequest: Record<string, number>;
}

interface ChainSteps {
  /** A dependency's end (its completion) to its dependant's call accepted by AIQUM: release, queue, POST. */
  releaseToAccepted: Distribution;
  /** A call accepted to the request's end: the first poll's delay, the GET and the completion. */
  acceptedToEnd: Distribution;
  /** Dependants whose call AIQUM accepted before their dependency ended (0 is right). */
  outOfOrder: number;
}

/** Lone requests, one at a time on the idle pipeline: one step of a chain without any other load. */
interface LoneRun {
  /** Submitted (the producer's call) to its completion event. */
  endToEnd: Distribution;
  /** Submitted to AIQUM's accept: the queue and the POST. */
  toAccepted: Distribution;
  acceptedToEnd: Distribution;
}

/** Runs one batch of `requests` and reads what it cost. */
async function timeBatch(
  context: ScenarioContext,
  pipeline: BenchPipeline,
  simulator: SimulatorProcess,
  stream: CompletionStream,
  requests: readonly BatchRequestInput[],
): Promise<{ run: BatchRun; requestIds: string[] }> {
  const { redis } = context;
  await simulator.reset();
  const roles = {
    worker: pipeline.workers.map((worker) => worker.pid),
    simulator: [simulator.service.pid],
    redis: redis.pid === undefined ? [] : [redis.pid],
    bench: [process.pid],
  };
  const cpuBefore = cpuByRole(roles);
  const commandsBefore = await commandCounts(redis.admin);
  const seen = stream.count;
  const startedMs = Date.now();
  const { requestIds } = await pipeline.submit(requests);
  await stream.waitForCount(seen + requests.length, 900_000);
  const last = stream.completed[stream.completed.length - 1];
  const elapsedMs = (last?.streamMs ?? Date.now()) - startedMs;
  const commands = commandDelta(commandsBefore, await commandCounts(redis.admin));
  const cpu = cpuSpent(cpuBefore, cpuByRole(roles));
  const outcomes: Record<string, number> = {};
  for (const completed of stream.completed.slice(seen)) {
    outcomes[completed.outcome] = (outcomes[completed.outcome] ?? 0) + 1;
  }
  const perRequest = (count: number) => round(count / requests.length);
  return {
    requestIds,
    run: {
      elapsedMs: Math.round(elapsedMs),
      outcomes,
      commandsPerRequest: perRequest(totalCalls(commands)),
      commandsByName: Object.fromEntries(
        topCommands(commands, Number.POSITIVE_INFINITY).map(([name, count]) => [name, perRequest(count)]),
      ),
      httpCallsPerRequest: round(httpCalls(await simulator.stats()) / requests.length, 3),
      cpuMsPerRequest: Object.fromEntries(
        Object.entries(cpu).map(([role, seconds]) => [role, round((seconds * 1000) / requests.length, 3)]),
      ),
    },
  };
}

/** Each dependant against its dependency (batch order is step by step, so a dependency is `chains` before). */
function chainSteps(
  sizes: DependenciesSizes,
  times: ReadonlyArray<{ submittedAt: number; finishedAt: number }>,
): ChainSteps {
  const releaseToAccepted: number[] = [];
  const acceptedToEnd: number[] = [];
  let outOfOrder = 0;
  times.forEach((time, index) => {
    acceptedToEnd.push(time.finishedAt - time.submittedAt);
    const dependency = times[index - sizes.chains];
    if (dependency === undefined) return;
    releaseToAccepted.push(time.submittedAt - dependency.finishedAt);
    if (time.submittedAt < dependency.finishedAt) outOfOrder += 1;
  });
  return {
    releaseToAccepted: distribution(releaseToAccepted),
    acceptedToEnd: distribution(acceptedToEnd),
    outOfOrder,
  };
}

async function timeLoneRequests(
  context: ScenarioContext,
  pipeline: BenchPipeline,
  stream: CompletionStream,
  count: number,
): Promise<LoneRun> {
  const endToEnd: number[] = [];
  const toAccepted: number[] = [];
  const acceptedToEnd: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const seen = stream.count;
    const startedMs = Date.now();
    const { requestIds } = await pipeline.submit([benchLun(`lone_${index}`, index)]);
    await stream.waitForCount(seen + 1, 30_000);
    const [time] = await recordTimes(context.redis.admin, pipeline.prefix, requestIds);
    if (time === undefined) throw new Error('no record of a lone request');
    endToEnd.push(time.finishedAt - startedMs);
    toAccepted.push(time.submittedAt - startedMs);
    acceptedToEnd.push(time.finishedAt - time.submittedAt);
  }
  return {
    endToEnd: distribution(endToEnd),
    toAccepted: distribution(toAccepted),
    acceptedToEnd: distribution(acceptedToEnd),
  };
}

const outcomeText = (outcomes: Record<string, number>) =>
  Object.entries(outcomes)
    .map(([outcome, count]) => `${outcome} ${count}`)
    .join(', ');

/**
 * Order within a batch (issue 15): a batch of independent chains (each request depends on the one before it
 * in its chain) against the same requests without dependencies, on the same pipeline, simulator and target
 * limits. The ideal for the chains is the longest chain (its length × one lone request's time on the idle
 * pipeline: the POST, the first poll's delay, the GET, the completion) plus the limits' cost (the calls ÷ the
 * target's calls per second); the records give each chain step's time from a dependency's end to its
 * dependant's call accepted, which is what dependencies add.
 */
export async function runDependencies(
  context: ScenarioContext,
  sizes: DependenciesSizes = dependenciesSizes(context.quick),
): Promise<ScenarioOutcome> {
  const { redis } = context;
  const requests = sizes.chains * sizes.length;
  const limits = { maxConcurrent: concurrency * context.workers, maxPerSecond: 10_000 };
  const settings = {
    ...sizes,
    requests,
    workers: context.workers,
    concurrency,
    limits,
    poll,
    simulatorJobDurationMs,
  };
  const simulator = await SimulatorProcess.start();
  await simulator.setScenario({
    rules: [{ match: { method: 'POST' }, job: { durationMs: simulatorJobDurationMs } }],
  });
  const pipeline = await BenchPipeline.start({
    redisUrl: redis.url,
    simulatorUrl: simulator.url,
    workers: context.workers,
    concurrency,
    limits,
    poll,
    workerNodeArgs: profilingArgs(context.cpuProfileDir),
  });
  const stream = await CompletionStream.start(redis.url, pipeline.eventsKey);
  try {
    // Warm-up (JIT, connections), then the lone requests, then both batches.
    const warmUp = chainBatch({ ...sizes, length: 2 }, true, 'warm');
    await pipeline.submit(warmUp);
    await stream.waitForCount(warmUp.length, 120_000);
    const lone = await timeLoneRequests(context, pipeline, stream, sizes.loneRequests);
    const independent = await timeBatch(
      context,
      pipeline,
      simulator,
      stream,
      chainBatch(sizes, false, 'free'),
    );
    const chained = await timeBatch(context, pipeline, simulator, stream, chainBatch(sizes, true, 'chain'));
    const steps = chainSteps(sizes, await recordTimes(redis.admin, pipeline.prefix, chained.requestIds));

    const longestChainMs = sizes.length * lone.endToEnd.p50;
    const limitsCostMs = ((requests * independent.run.httpCallsPerRequest) / limits.maxPerSecond) * 1000;
    const idealMs = Math.round(longestChainMs + limitsCostMs);
    const ratioToIndependent = round(chained.run.elapsedMs / independent.run.elapsedMs, 3);
    const ratioToIdeal = round(chained.run.elapsedMs / idealMs, 3);
    // Neither bound can be beaten: the longest chain, and the same requests all free to run at once.
    const lowerBoundMs = Math.max(longestChainMs, independent.run.elapsedMs);
    const ratioToLowerBound = round(chained.run.elapsedMs / lowerBoundMs, 3);
    const allSucceeded = (run: BatchRun) => (run.outcomes.succeeded ?? 0) === requests;
    const targets: TargetCheck[] = [
      {
        id: 'D1',
        target: `${sizes.chains} chains of ${sizes.length} finish in about their longest chain plus the limits' cost (≤ 1.5 × that ideal), every request succeeded, in order`,
        measured: `${chained.run.elapsedMs} ms against ${idealMs} ms: ${ratioToIdeal} ×; ${ratioToIndependent} × the same requests without dependencies; ${outcomeText(chained.run.outcomes)}; ${steps.outOfOrder} out of order`,
        met:
          ratioToIdeal <= 1.5 &&
          allSucceeded(chained.run) &&
          allSucceeded(independent.run) &&
          steps.outOfOrder === 0,
      },
    ];
    const row = (measure: string, free: number | string, ordered: number | string, note = '') => [
      measure,
      free,
      ordered,
      note,
    ];
    const ms = (d: Distribution) => `${d.p50} / ${d.p95} / ${d.max}`;
    return {
      settings,
      results: {
        independent: independent.run,
        chained: chained.run,
        lone,
        chainSteps: steps,
        longestChainMs: Math.round(longestChainMs),
        limitsCostMs: Math.round(limitsCostMs),
        idealMs,
        ratioToIdeal,
        ratioToIndependent,
        lowerBoundMs: Math.round(lowerBoundMs),
        ratioToLowerBound,
      },
      tables: [
        {
          title: `${requests.toLocaleString('en-US')} requests: ${sizes.chains} chains of ${sizes.length} vs the same without dependencies (${context.workers} worker processes × ${concurrency}, jobs of ${simulatorJobDurationMs} ms, first poll ${poll.initialDelayMs} ms, ${limits.maxPerSecond.toLocaleString('en-US')} calls/s)`,
          header: ['measure', 'independent', 'chains', 'ratio'],
          rows: [
            row('wall time ms', independent.run.elapsedMs, chained.run.elapsedMs, `${ratioToIndependent} ×`),
            row('outcomes', outcomeText(independent.run.outcomes), outcomeText(chained.run.outcomes)),
            row(
              'Redis work (commandstats) / request',
              independent.run.commandsPerRequest,
              chained.run.commandsPerRequest,
              `${round(chained.run.commandsPerRequest / independent.run.commandsPerRequest, 3)} ×`,
            ),
            row(
              'HTTP calls to AIQUM / request',
              independent.run.httpCallsPerRequest,
              chained.run.httpCallsPerRequest,
            ),
            ...Object.keys(chained.run.cpuMsPerRequest).map((role) =>
              row(
                `CPU ms / request: ${role}`,
                independent.run.cpuMsPerRequest[role] ?? '',
                chained.run.cpuMsPerRequest[role] ?? '',
              ),
            ),
          ],
        },
        {
          title: 'The chains against their ideal',
          header: ['measure', 'ms'],
          rows: [
            [`one lone request, end to end (p50 of ${sizes.loneRequests})`, lone.endToEnd.p50],
            [`longest chain: ${sizes.length} × that`, Math.round(longestChainMs)],
            [
              `limits' cost: ${requests.toLocaleString('en-US')} × ${independent.run.httpCallsPerRequest} calls ÷ ${limits.maxPerSecond.toLocaleString('en-US')} / s`,
              Math.round(limitsCostMs),
            ],
            ['ideal: longest chain + limits’ cost', idealMs],
            ['chains measured', chained.run.elapsedMs],
            ['ratio to the ideal', `${ratioToIdeal} ×`],
            ['lower bound: max(longest chain, independent measured)', Math.round(lowerBoundMs)],
            ['ratio to the lower bound', `${ratioToLowerBound} ×`],
          ],
        },
        {
          title: 'Where a chain step goes (ms, p50 / p95 / max)',
          header: ['step', 'lone request', 'chained'],
          rows: [
            [
              'to the call accepted: lone from its submission; chained from its dependency’s end',
              ms(lone.toAccepted),
              ms(steps.releaseToAccepted),
            ],
            [
              'call accepted to the end (first poll delay, GET, completion)',
              ms(lone.acceptedToEnd),
              ms(steps.acceptedToEnd),
            ],
          ],
        },
        {
          title: 'Redis work per request by command (INFO commandstats)',
          header: ['command', 'independent', 'chains'],
          rows: Object.keys(chained.run.commandsByName)
            .slice(0, 20)
            .map((name) => [
              name,
              independent.run.commandsByName[name] ?? '',
              chained.run.commandsByName[name] ?? '',
            ]),
        },
      ],
      targets,
      summary: {
        requests,
        independentMs: independent.run.elapsedMs,
        chainedMs: chained.run.elapsedMs,
        ratioToIndependent,
        idealMs,
        ratioToIdeal,
        ratioToLowerBound,
        commandsPerRequestIndependent: independent.run.commandsPerRequest,
        commandsPerRequestChained: chained.run.commandsPerRequest,
        releaseToAcceptedP50Ms: steps.releaseToAccepted.p50,
      },
    };
  } finally {
    await stream.close();
    await pipeline.close();
    await simulator.close();
  }
}
