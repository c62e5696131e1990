import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Simulator, startSimulator } from '@aiqum-jobs/aiqum-simulator';
import { createRedisKeys, eventSchema, eventStreamField } from '@aiqum-jobs/contracts';
import {
  igroupRequest,
  lunRequest,
  readEvents,
  runCommand,
  type TestRedis,
  useTestRedis,
} from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bins, type ServiceProcess, startProducerProcess, startWorkerProcess } from '../src/index.js';

const maxConcurrent = 4;
const scenario = {
  rules: [
    {
      match: { body: { name: '*_warn' } },
      job: { durationMs: { min: 200, max: 1_500 }, outcomes: { WARNING: 1 } },
    },
    {
      match: { body: { name: '*_partial' } },
      job: { durationMs: { min: 200, max: 1_500 }, outcomes: { PARTIAL_FAILURES: 1 } },
    },
    {
      match: { body: { name: '*_err' } },
      job: { durationMs: { min: 200, max: 1_500 }, outcomes: { ERROR: 1 }, message: 'no space' },
    },
    { match: { method: 'POST' }, job: { durationMs: { min: 100, max: 3_000 } } },
    // Every call is a little slow, so concurrent calls overlap and the shared limit is exercised.
    { match: { path: '/api/**' }, faults: { latencyMs: { min: 10, max: 40 } } },
  ],
};

let redis: TestRedis;
let simulators: Simulator[];
let workDir: string;
let env: Record<string, string>;
const services: ServiceProcess[] = [];

beforeAll(async () => {
  redis = await useTestRedis();
  simulators = [
    await startSimulator({ dialect: 'docs', seed: 11, scenario }),
    await startSimulator({ seed: 12, scenario }),
  ];
  workDir = mkdtempSync(join(tmpdir(), 'aiqum-jobs-system-'));
  const targetsFile = join(workDir, 'targets.json');
  writeFileSync(
    targetsFile,
    JSON.stringify({
      targets: simulators.map((simulator, index) => ({
        name: index === 0 ? 'lab-docs' : 'lab-spec',
        url: simulator.url,
        username: 'admin',
        passwordEnv: 'LAB_PASSWORD',
        caFile: simulator.caFile,
        limits: { maxConcurrent, maxPerSecond: 500 },
        poll: { initialDelayMs: 200, multiplier: 1.5, maxDelayMs: 1_000 },
      })),
    }),
  );
  env = {
    REDIS_URL: redis.url,
    AIQUM_JOBS_PREFIX: redis.prefix,
    AIQUM_TARGETS_FILE: targetsFile,
    LAB_PASSWORD: 'admin123',
    PRODUCER_API_TOKENS: randomBytes(24).toString('hex'),
    LOG_LEVEL: 'warn',
  };
  services.push(
    await startWorkerProcess(env),
    await startWorkerProcess(env),
    await startProducerProcess(env),
  );
}, 60_000);

afterAll(async () => {
  try {
    await Promise.all(services.map((service) => service.stop()));
  } finally {
    await Promise.all(simulators.map((simulator) => simulator.close()));
    await redis.close();
    rmSync(workDir, { recursive: true, force: true });
  }
});

describe('a batch of 200 requests through real producer and worker processes', () => {
  it('ends with the scenario counts, one request.completed per request, one batch.completed, limits held', async () => {
    const requests: object[] = [];
    const add = (count: number, make: (index: number) => object) => {
      for (let index = 0; index < count; index += 1) requests.push(make(requests.length));
    };
    // Keys are per server: each request carries those of its target's inventory.
    const target = (index: number) => (index % 2 === 0 ? 'lab-docs' : 'lab-spec');
    const seed = (index: number) => (index % 2 === 0 ? 11 : 12);
    add(160, (i) => ({ target: target(i), ...lunRequest(`lun_${i}`, { seed: seed(i) }) }));
    add(10, (i) => ({ target: target(i), ...lunRequest(`lun_${i}_warn`, { seed: seed(i) }) }));
    add(10, (i) => ({ target: target(i), ...lunRequest(`lun_${i}_partial`, { seed: seed(i) }) }));
    add(10, (i) => ({ target: target(i), ...lunRequest(`lun_${i}_err`, { seed: seed(i) }) }));
    add(5, (i) => ({ target: target(i), ...lunRequest(`lun_${i}`, { svm: 'vs_none', seed: seed(i) }) }));
    add(5, (i) => ({ target: target(i), ...igroupRequest(`ig_${i}`, { seed: seed(i) }) }));
    expect(requests).toHaveLength(200);
    // NDJSON, as an operator's tooling would write it.
    const file = join(workDir, 'batch.ndjson');
    writeFileSync(file, `${requests.map((request) => JSON.stringify(request)).join('\n')}\n`);

    const producer = services[2];
    if (!producer) throw new Error('no producer');
    const result = await runCommand({
      args: [bins.cli, 'submit', file, '--watch'],
      env: { AIQUM_JOBS_URL: producer.url, AIQUM_JOBS_TOKEN: env.PRODUCER_API_TOKENS ?? '' },
      timeoutMs: 100_000, // within the test's own timeout, so a hung CLI is killed, not left behind
    });
    // Some requests fail by the scenario's design: the CLI says so with 1.
    expect(result.code, result.stderr).toBe(1);
    const batchId = /batch ([0-9a-f-]{36})/.exec(result.stdout)?.[1];
    expect(batchId, result.stdout).toBeDefined();

    const connection = redis.connect();
    const stream = {
      key: createRedisKeys(redis.prefix).events,
      field: eventStreamField,
      schema: eventSchema,
    };
    const completed = await readEvents(connection, stream, {
      types: ['request.completed'],
      batchId: batchId ?? '',
    });
    expect(completed).toHaveLength(200);
    expect(new Set(completed.map((event) => event.requestId)).size).toBe(200);
    const counts: Record<string, number> = {};
    for (const event of completed) counts[event.outcome] = (counts[event.outcome] ?? 0) + 1;
    expect(counts).toEqual({ succeeded: 165, warning: 10, partial_failure: 10, failed: 15 });
    // Who asked, for audits: the unnamed token of PRODUCER_API_TOKENS, named by its position.
    expect(new Set(completed.map((event) => event.submittedBy))).toEqual(new Set(['token-1']));

    const batches = await readEvents(connection, stream, {
      types: ['batch.completed'],
      batchId: batchId ?? '',
    });
    expect(batches).toHaveLength(1);
    expect(batches[0]).toMatchObject({
      total: 200,
      submittedBy: 'token-1',
      counts: {
        succeeded: 165,
        warning: 10,
        partial_failure: 10,
        failed: 15,
        timed_out: 0,
        cancelled: 0,
        unknown: 0,
      },
    });
    // The summary the operator saw says the same, with AIQUM's reason beside each request that failed.
    expect(result.stdout).toMatch(/succeeded\s+165/);
    const summaryLines = result.stdout.split('\n');
    expect(summaryLines.filter((line) => /\bfailed\s+AIQUM_JOB_ERROR: no space$/.test(line))).toHaveLength(
      10,
    );

    for (const simulator of simulators) {
      const stats = simulator.stats();
      // Two worker processes, 50 slots each: only the shared per-target limit keeps AIQUM at 4 calls, and
      // it had to (the calls reached it).
      expect(stats.peakConcurrentRequests).toBe(maxConcurrent);
      // No write reached AIQUM twice.
      expect(Math.max(...Object.values(stats.submissions))).toBe(1);
    }
  });
});
