import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type BenchRedis, startBenchRedis } from '../src/bench-redis.js';
import { runAndReport } from '../src/bench-run.js';
import { runDependencies } from '../src/scenarios/dependencies.js';

// No speed is asserted (timings on a shared machine are noise): the scenario's machinery at a tiny size.
const positive = z.number().positive();
const distribution = z.object({ count: z.number().int(), p50: z.number(), max: z.number() });
const run = z.object({
  elapsedMs: positive,
  outcomes: z.object({ succeeded: z.literal(12) }).strict(),
  commandsPerRequest: positive,
  commandsByName: z.object({ evalsha: positive }),
  httpCallsPerRequest: z.number().min(2),
  cpuMsPerRequest: z.object({
    worker: z.number(),
    simulator: z.number(),
    redis: z.number(),
    bench: z.number(),
  }),
});
const reportSchema = z.object({
  scenario: z.literal('dependencies'),
  settings: z.object({ chains: z.literal(3), length: z.literal(4), requests: z.literal(12) }),
  results: z.object({
    independent: run,
    chained: run,
    lone: z.object({ endToEnd: distribution, toAccepted: distribution, acceptedToEnd: distribution }),
    chainSteps: z.object({
      releaseToAccepted: distribution,
      acceptedToEnd: distribution,
      outOfOrder: z.number().int(),
    }),
    longestChainMs: positive,
    limitsCostMs: z.number().nonnegative(),
    idealMs: positive,
    ratioToIdeal: positive,
    ratioToIndependent: positive,
    ratioToLowerBound: positive,
  }),
  targets: z.array(z.object({ id: z.literal('D1'), measured: z.string(), met: z.boolean() })).length(1),
});

let redis: BenchRedis;
let dir: string;

beforeAll(async () => {
  redis = await startBenchRedis(process.env);
  dir = mkdtempSync(join(tmpdir(), 'aiqum-bench-test-'));
});
afterAll(async () => {
  await redis.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dependencies scenario', () => {
  it('runs chains and the same requests without dependencies, and reports both against the ideal', async () => {
    const context = { redis, quick: true, workers: 1, cpuProfileDir: undefined };
    const result = await runAndReport('dependencies', context, dir, (ctx) =>
      runDependencies(ctx, { chains: 3, length: 4, loneRequests: 2 }),
    );
    const report = reportSchema.parse(JSON.parse(readFileSync(result.file, 'utf8')));
    const { chainSteps, lone, longestChainMs } = report.results;
    // Every dependant (3 chains × 3 after their first) started after its dependency ended.
    expect(chainSteps.releaseToAccepted.count).toBe(9);
    expect(chainSteps.releaseToAccepted.p50).toBeGreaterThan(0);
    expect(chainSteps.outOfOrder).toBe(0);
    expect(lone.endToEnd.count).toBe(2);
    expect(longestChainMs).toBe(4 * lone.endToEnd.p50);
    // A chain step waits at least the first poll's delay after its call was accepted.
    expect(chainSteps.acceptedToEnd.p50).toBeGreaterThanOrEqual(200);
    expect(result.markdown).toContain('| ideal: longest chain + limits’ cost |');
    console.info(`bench dependencies (tiny): ${JSON.stringify(report.results)}`);
  }, 180_000);
});
