import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedisKeys, eventSchema, eventStreamField, requestViewSchema } from '@aiqum-jobs/contracts';
import { lunRequest, readEvents, runCommand } from '@aiqum-jobs/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bins, PipelineUnderTest, type ServiceProcess } from '../src/index.js';

/**
 * `aiqum-jobs retry BATCH --watch -o json` against a real producer API process, worker and simulator: the
 * failed requests of a batch are retried in a new batch, whose exit code says whether the retries succeeded.
 */

const failingScenario = {
  rules: [
    {
      match: { body: { name: '*_err' } },
      job: { durationMs: { min: 100, max: 300 }, outcomes: { ERROR: 1 }, message: 'no space' },
    },
    { match: { method: 'POST' }, job: { durationMs: { min: 100, max: 300 } } },
  ],
};
const healedScenario = {
  rules: [{ match: { method: 'POST' }, job: { durationMs: { min: 100, max: 300 } } }],
};

/** The document of `--watch -o json` for a batch: the batch once it ended, and each of its requests. */
const watchedSchema = z.object({
  batch: z.object({
    batchId: z.string(),
    total: z.number(),
    done: z.boolean(),
    byOutcome: z.record(z.string(), z.number()),
    metadata: z.record(z.string(), z.unknown()).optional(),
  }),
  requests: z.array(requestViewSchema),
});

const token = randomBytes(24).toString('hex');
let pipeline: PipelineUnderTest;
let api: ServiceProcess;
let workDir: string;

beforeAll(async () => {
  pipeline = await PipelineUnderTest.start({ workers: 1, simulator: { scenario: failingScenario } });
  api = await pipeline.startProducerApi({ PRODUCER_API_TOKENS: token });
  workDir = mkdtempSync(join(tmpdir(), 'aiqum-jobs-retry-'));
}, 60_000);
afterAll(async () => {
  await pipeline?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

function aiqumJobs(args: string[]) {
  return runCommand({
    args: [bins.cli, ...args],
    env: { AIQUM_JOBS_URL: api.url, AIQUM_JOBS_TOKEN: token },
    timeoutMs: 60_000,
  });
}

describe('aiqum-jobs retry', () => {
  it('retries the failed requests of a batch with the CLI, linked both ways, until they succeed', async () => {
    const file = join(workDir, 'batch.json');
    const names = ['retry_ok_0', 'retry_a_err', 'retry_ok_1', 'retry_b_err'];
    writeFileSync(file, JSON.stringify(names.map((name) => ({ target: 'lab', ...lunRequest(name) }))));
    const submitted = await aiqumJobs(['submit', file, '--watch', '-o', 'json']);
    expect(submitted.code, submitted.stderr).toBe(1);
    const original = watchedSchema.parse(JSON.parse(submitted.stdout));
    const failedIds = original.requests
      .filter((request) => request.outcome === 'failed')
      .map((request) => request.requestId);
    expect(failedIds).toHaveLength(2);

    // AIQUM still fails them: the retries fail too, and the exit code says so.
    const stillFailing = await aiqumJobs(['retry', original.batch.batchId, '--watch', '-o', 'json']);
    expect(stillFailing.code, stillFailing.stderr).toBe(1);
    const firstRetry = watchedSchema.parse(JSON.parse(stillFailing.stdout));
    expect(firstRetry.batch).toMatchObject({
      total: 2,
      done: true,
      byOutcome: { failed: 2 },
      metadata: { retryOf: original.batch.batchId },
    });

    // One request by its id: the first failed retry, retried in turn, fails again: exit 1, its view as JSON.
    const failedRetry = firstRetry.requests[0]?.requestId ?? '';
    const single = await aiqumJobs(['retry', failedRetry, '--watch', '-o', 'json']);
    expect(single.code, single.stderr).toBe(1);
    expect(requestViewSchema.parse(JSON.parse(single.stdout))).toMatchObject({
      status: 'completed',
      outcome: 'failed',
      retryOf: failedRetry,
    });

    // Once AIQUM has room, the same retry succeeds: exit 0.
    pipeline.simulator.setScenario(healedScenario);
    const healed = await aiqumJobs(['retry', original.batch.batchId, '--watch', '-o', 'json']);
    expect(healed.code, healed.stderr).toBe(0);
    const secondRetry = watchedSchema.parse(JSON.parse(healed.stdout));
    expect(secondRetry.batch).toMatchObject({ total: 2, done: true, byOutcome: { succeeded: 2 } });
    expect(secondRetry.requests.map((request) => request.retryOf)).toEqual(failedIds);
    expect(stillFailing.stderr).toContain(`retrying batch ${original.batch.batchId}`);

    // The originals list both retries, newest last; each retry's request.completed names its original.
    const status = await aiqumJobs(['status', failedIds[0] ?? '', '-o', 'json']);
    expect(requestViewSchema.parse(JSON.parse(status.stdout)).retries).toEqual([
      firstRetry.requests[0]?.requestId,
      secondRetry.requests[0]?.requestId,
    ]);
    const connection = new Redis(pipeline.redis.url);
    const completed = await readEvents(
      connection,
      { key: createRedisKeys(pipeline.prefix).events, field: eventStreamField, schema: eventSchema },
      { types: ['request.completed'], batchId: secondRetry.batch.batchId },
    );
    connection.disconnect();
    expect(completed.map((event) => [event.retryOf, event.outcome]).sort()).toEqual(
      failedIds.map((id) => [id, 'succeeded']).sort(),
    );

    // Nothing left to retry: the API's refusal, exit 1.
    const nothing = await aiqumJobs(['retry', secondRetry.batch.batchId, '--watch', '-o', 'json']);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain('NOTHING_TO_RETRY');
    expect(nothing.stdout).toBe('');
  }, 120_000);

  it('exits 2 on a usage error', async () => {
    const result = await aiqumJobs(['retry', 'some-batch', '--outcome', 'succeeded', '-o', 'json']);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toBe('');
    const help = await aiqumJobs(['retry', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('retry ID');
  });
});
