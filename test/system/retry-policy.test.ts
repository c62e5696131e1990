import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestViewSchema } from '@aiqum-jobs/contracts';
import { lunRequest, runCommand, waitUntil } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bins, PipelineUnderTest, type ServiceProcess } from '../src/index.js';

/**
 * A retry policy set in a request file, through `aiqum-jobs submit --watch` against a real producer API
 * process, worker processes and the simulator: AIQUM fails the job twice, the third attempt succeeds. And a
 * worker SIGKILLed while a request waits for its next attempt: another worker starts that attempt, once.
 */

/** A job that fails this many times (each prefix its own rule: `times` counts the rule's matches). */
const failingFirst = (prefix: string, times: number) => ({
  match: { method: 'POST', body: { name: `${prefix}*` } },
  times,
  job: { durationMs: { min: 100, max: 200 }, outcomes: { ERROR: 1 }, message: 'aggregate aggr1 is busy' },
});

const watchedSchema = z.object({
  batch: z.object({ batchId: z.string(), done: z.boolean(), byOutcome: z.record(z.string(), z.number()) }),
  requests: z.array(requestViewSchema),
});

const token = randomBytes(24).toString('hex');
let pipeline: PipelineUnderTest;
let api: ServiceProcess;
let workDir: string;

beforeAll(async () => {
  pipeline = await PipelineUnderTest.start({
    workers: 1,
    simulator: {
      scenario: {
        rules: [
          failingFirst('flaky_', 2),
          failingFirst('crash_', 1),
          { match: { method: 'POST' }, job: { durationMs: { min: 100, max: 200 } } },
        ],
      },
    },
  });
  api = await pipeline.startProducerApi({ PRODUCER_API_TOKENS: token });
  workDir = mkdtempSync(join(tmpdir(), 'aiqum-jobs-retry-policy-'));
}, 60_000);
afterAll(async () => {
  await pipeline?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('a retry policy, on real processes', () => {
  it('submits a job AIQUM failed twice again from a request file, and ends succeeded with 3 attempts', async () => {
    const file = join(workDir, 'batch.ndjson');
    const retry = { maxAttempts: 3, backoff: { initialDelayMs: 200, maxDelayMs: 1_000 } };
    writeFileSync(file, `${JSON.stringify({ target: 'lab', ...lunRequest('flaky_lun'), retry })}\n`);
    const submitted = await runCommand({
      args: [bins.cli, 'submit', file, '--watch', '-o', 'json'],
      env: { AIQUM_JOBS_URL: api.url, AIQUM_JOBS_TOKEN: token },
      timeoutMs: 60_000,
    });
    expect(submitted.code, submitted.stderr).toBe(0);
    const watched = watchedSchema.parse(JSON.parse(submitted.stdout));
    expect(watched.batch.byOutcome).toMatchObject({ succeeded: 1, failed: 0 });
    const [request] = watched.requests;
    expect(request?.attempts?.map((attempt) => [attempt.number, attempt.outcome])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'succeeded'],
    ]);
    const completed = await pipeline.events({ types: ['request.completed'], batchId: watched.batch.batchId });
    expect(completed).toHaveLength(1);
    expect(completed[0]?.attempts).toEqual(request?.attempts);
    expect(pipeline.simulator.stats().submissions[request?.requestId ?? '']).toBe(3);
  }, 90_000);

  it('starts the next attempt once when the worker holding the request dies during the backoff', async () => {
    const { batchId, requestIds } = await pipeline.submitBatch([
      {
        target: 'lab',
        ...lunRequest('crash_lun'),
        retry: { maxAttempts: 2, backoff: { initialDelayMs: 3_000, maxDelayMs: 3_000 } },
      },
    ]);
    const requestId = requestIds[0] ?? '';
    await waitUntil(
      async () => {
        const view = await pipeline.producer.get(requestId);
        return view?.status === 'queued' && view.attempt === 2;
      },
      { timeoutMs: 30_000, what: 'the request waiting for its second attempt' },
    );
    for (const worker of pipeline.workers) await worker.kill();
    await pipeline.startWorker();
    await pipeline.waitForBatch(batchId, 60_000);
    const report = await pipeline.report(batchId, requestIds);
    expect(report).toMatchObject({ lost: 0, duplicateEvents: 0, byOutcome: { succeeded: 1 } });
    const view = await pipeline.producer.get(requestId);
    expect(view?.attempts?.map((attempt) => attempt.outcome)).toEqual(['failed', 'succeeded']);
    expect(pipeline.simulator.stats().submissions[requestId]).toBe(2);
  }, 120_000);
});
