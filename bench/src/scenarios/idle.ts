import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@aiqum-jobs/contracts';
import { type AiqumWorker, idleCheckMs, loadWorkerConfig, startAiqumWorker } from '@aiqum-jobs/worker';
import { commandCounts, commandDelta, topCommands, totalCalls } from '../redis-stats.js';
import type { ScenarioOutcome, TargetCheck } from '../report.js';
import type { ScenarioContext } from './scenario-context.js';

/** Idle cost goal (issue 13): one worker serving 20 targets with nothing to do. */
const goalPerSecond = 3;
/** Start-up work (first heartbeats, BullMQ's first checks) is left out of the count. */
const settleMs = 2_000;

export interface IdleRun {
  workers: number;
  targets: number;
  commandsPerSecond: number;
  /** The four commands run most, with their calls per second. */
  top: string;
  /** Every command run, with its calls per second. */
  perCommand: Record<string, number>;
}

/**
 * Scenario: what workers cost Redis with nothing to do. Workers run in this process (they make no calls: no
 * request exists), each serving every target; the count is INFO commandstats, commands inside scripts
 * included, without the INFO calls that read it. Exact only on a Redis of the bench's own.
 */
export async function runIdle(context: ScenarioContext): Promise<ScenarioOutcome> {
  // A whole idle check period (each poller with nothing due claims once or twice in it, at a random time in
  // its last quarter; BullMQ's checks come every few s).
  const measureMs = context.quick ? 3_000 : idleCheckMs;
  const runs: IdleRun[] = [];
  for (const workers of [1, 10]) {
    for (const targets of [1, 20, 100]) runs.push(await measure(context, workers, targets, measureMs));
  }
  const goalRun = runs.find((run) => run.workers === 1 && run.targets === 20);
  const targets: TargetCheck[] = goalRun
    ? [
        {
          id: 'idle',
          target: `one worker, 20 targets, nothing due: ≤ ${goalPerSecond} Redis commands / s`,
          measured: `${goalRun.commandsPerSecond} / s`,
          met: goalRun.commandsPerSecond <= goalPerSecond,
        },
      ]
    : [];
  return {
    settings: { measureMs, settleMs, redisOwned: context.redis.owned },
    results: { runs },
    tables: [
      {
        title: `Idle: Redis commands / s over ${measureMs / 1_000} s with nothing to do`,
        header: ['workers', 'targets', 'commands / s', 'top commands / s'],
        rows: runs.map((run) => [run.workers, run.targets, run.commandsPerSecond, run.top]),
      },
    ],
    targets,
    summary: Object.fromEntries(
      runs.map((run) => [`w${run.workers}t${run.targets}PerSecond`, run.commandsPerSecond]),
    ),
  };
}

async function measure(
  context: ScenarioContext,
  workerCount: number,
  targetCount: number,
  measureMs: number,
): Promise<IdleRun> {
  const dir = mkdtempSync(join(tmpdir(), 'aiqum-bench-idle-'));
  const targetsFile = join(dir, 'targets.json');
  writeFileSync(
    targetsFile,
    JSON.stringify({
      targets: Array.from({ length: targetCount }, (_, index) => ({
        name: `idle-${index + 1}`,
        // Never called: nothing is submitted.
        url: 'http://127.0.0.1:9',
        username: 'admin',
        password: 'unused',
      })),
    }),
  );
  const config = loadWorkerConfig({
    REDIS_URL: context.redis.url,
    AIQUM_JOBS_PREFIX: `{aiqum-bench-idle-${randomBytes(4).toString('hex')}}`,
    AIQUM_TARGETS_FILE: targetsFile,
    WORKER_HEALTH_PORT: '0',
    LOG_LEVEL: 'warn',
  });
  const logger = createLogger({ name: 'bench-idle', level: 'warn' });
  const workers: AiqumWorker[] = [];
  try {
    for (let index = 0; index < workerCount; index += 1)
      workers.push(await startAiqumWorker({ config, logger }));
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    const before = await commandCounts(context.redis.admin);
    const startedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, measureMs));
    const after = await commandCounts(context.redis.admin);
    const seconds = (performance.now() - startedAt) / 1_000;
    const delta = commandDelta(before, after);
    // The first INFO is counted in the second's figures.
    delta.info = (delta.info ?? 0) - 1;
    const perSecond = (calls: number) => Math.round((calls / seconds) * 10) / 10;
    return {
      workers: workerCount,
      targets: targetCount,
      commandsPerSecond: perSecond(totalCalls(delta)),
      top: topCommands(delta, 4)
        .map(([name, calls]) => `${name} ${perSecond(calls)}`)
        .join(', '),
      perCommand: Object.fromEntries(Object.entries(delta).map(([name, calls]) => [name, perSecond(calls)])),
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}
