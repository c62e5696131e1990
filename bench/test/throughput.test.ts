import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type BenchRedis, startBenchRedis } from '../src/bench-redis.js';
import { runAndReport } from '../src/bench-run.js';
import { runThroughput } from '../src/scenarios/throughput.js';

// No speed is asserted here (timings on a shared machine are noise): this keeps the harness from rotting by
// running the throughput scenario's whole machinery at a tiny size and checking the report it writes.
const positive = z.number().positive();
const reportSchema = z.object({
  scenario: z.literal('throughput'),
  quick: z.literal(true),
  startedAt: z.iso.datetime(),
  durationSeconds: z.number().nonnegative(),
  machine: z.object({
    cpus: positive,
    cpuModel: z.string(),
    memoryBytes: positive,
    node: z.string().startsWith('v'),
    redis: z.string().regex(/^\d+\.\d+/),
    redisOwned: z.boolean(),
  }),
  settings: z.object({ requests: z.literal(50), monitorRequests: z.literal(20), stepJobs: z.literal(20) }),
  results: z.object({
    requestsPerSecond: positive,
    elapsedMs: positive,
    outcomes: z.object({ succeeded: z.literal(50) }).strict(),
    duplicateEvents: z.literal(0),
    roundTripsPerRequest: positive,
    roundTripsByRole: z.object({ producer: positive, worker: positive }),
    roundTripsByCommand: z.record(z.string(), positive),
    commandsPerRequest: positive,
    commandsByName: z.object({ evalsha: positive }),
    httpCallsPerRequest: z.number().min(2),
    cpuSeconds: z.object({ worker: z.number(), simulator: z.number(), redis: z.number(), bench: z.number() }),
    bullmqCeiling: z.object({ jobs: z.literal(50), jobsPerSecond: positive }),
    ratioToBullmqCeiling: positive,
    httpCeiling: z.object({
      pairs: z.literal(50),
      pairsPerSecond: positive,
      clientCpuMsPerPair: z.number().nonnegative(),
      simulatorCpuMsPerPair: z.number().nonnegative(),
    }),
    ratioToHttpCeiling: positive,
    stepJobBaseline: z.object({ jobs: z.literal(20), roundTripsPerJob: positive, commandsPerJob: positive }),
    slowlog: z.array(z.object({ durationUs: z.number(), command: z.string() })),
  }),
  tables: z
    .array(z.object({ title: z.string(), header: z.array(z.string()), rows: z.array(z.array(z.unknown())) }))
    .min(3),
  targets: z.array(z.object({ id: z.enum(['P1', 'P5']), measured: z.string(), met: z.boolean() })).length(2),
  summary: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
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

describe('throughput scenario', () => {
  it('runs end to end at a tiny size and writes a report with every field', async () => {
    const context = { redis, quick: true, workers: 1, cpuProfileDir: undefined };
    const run = await runAndReport('throughput', context, dir, (ctx) =>
      runThroughput(ctx, { requests: 50, monitorRequests: 20, stepJobs: 20 }),
    );
    const report = reportSchema.parse(JSON.parse(readFileSync(run.file, 'utf8')));
    // Each request costs at least its two HTTP calls' worth of Redis work, and the tables say so.
    expect(report.results.commandsPerRequest).toBeGreaterThan(report.results.roundTripsPerRequest);
    expect(run.markdown).toContain('| requests (pairs, jobs) / s |');
    expect(run.markdown).toContain('### Targets');
    console.info(`bench throughput (tiny): ${JSON.stringify(report.summary)}`);
  }, 120_000);
});
