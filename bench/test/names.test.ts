import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type BenchRedis, startBenchRedis } from '../src/bench-redis.js';
import { runAndReport } from '../src/bench-run.js';
import { runNames } from '../src/scenarios/names.js';

// No speed is asserted (timings on a shared machine are noise): the scenario's machinery at a tiny size.
const run = z.object({
  style: z.enum(['keys', 'names']),
  requestsPerSecond: z.number().positive(),
  outcomes: z.record(z.string(), z.number()),
  warmUpLookupGets: z.number().int().min(0),
  lookupGets: z.number().int().min(0),
  lookupGetsPerRequest: z.number().min(0),
  lookupGetsByCollection: z.record(z.string(), z.number()),
  httpCallsPerRequest: z.number().positive(),
  commandsPerRequest: z.number().positive(),
});
const reportSchema = z.object({
  scenario: z.literal('names'),
  settings: z.object({ requests: z.literal(60), svms: z.literal(6), serviceLevels: z.literal(3) }),
  results: z.object({ keys: run, names: run, ratio: z.number().positive() }),
  targets: z.array(z.object({ id: z.enum(['N1', 'N2']), measured: z.string(), met: z.boolean() })).length(2),
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

describe('names scenario', () => {
  it('runs the batch by keys and by name on the same simulator and reports both', async () => {
    const context = { redis, quick: true, workers: 1, cpuProfileDir: undefined };
    const result = await runAndReport('names', context, dir, (ctx) =>
      runNames(ctx, { requests: 60, svms: 6 }),
    );
    const report = reportSchema.parse(JSON.parse(readFileSync(result.file, 'utf8')));
    const { keys, names } = report.results;
    // Written with keys: every request succeeds and nothing is looked up.
    expect(keys.outcomes).toEqual({ succeeded: 60 });
    expect(keys.lookupGets + keys.warmUpLookupGets).toBe(0);
    // Written by name: the worker resolves every name, and the warm-up looked each one up (6 SVMs and 3
    // service levels, each at most once per worker), so the timed batch needs at most a few.
    expect(names.outcomes).toEqual({ succeeded: 60 });
    expect(names.warmUpLookupGets).toBeGreaterThanOrEqual(1);
    expect(names.warmUpLookupGets).toBeLessThanOrEqual(9);
    expect(names.lookupGets).toBeLessThanOrEqual(9 - names.warmUpLookupGets);
    expect(result.markdown).toContain('| AIQUM lookup GETs / request |');
    console.info(
      `bench names (tiny): ${JSON.stringify(report.results.names.outcomes)}, ratio ${report.results.ratio}`,
    );
  }, 180_000);
});
