import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestViewSchema } from '@aiqum-jobs/contracts';
import { lunRequest, runCommand } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bins, PipelineUnderTest, type ServiceProcess } from '../src/index.js';

/**
 * `aiqum-jobs` scripted the way a CI job runs it: `submit requests.json --watch -o json` against a real
 * producer API process and worker, where only the exit code and the JSON on stdout decide.
 */

const scenario = {
  rules: [
    {
      match: { body: { name: '*_err' } },
      job: { durationMs: { min: 100, max: 500 }, outcomes: { ERROR: 1 }, message: 'no space' },
    },
    { match: { method: 'POST' }, job: { durationMs: { min: 100, max: 500 } } },
  ],
};

/** The document of `submit --watch -o json`: the batch once it ended, and each of its requests. */
const watchedSchema = z.object({
  batch: z.object({
    batchId: z.string(),
    total: z.number(),
    done: z.boolean(),
    byOutcome: z.record(z.string(), z.number()),
  }),
  requests: z.array(requestViewSchema),
});

const token = randomBytes(24).toString('hex');
let pipeline: PipelineUnderTest;
let api: ServiceProcess;
let workDir: string;

beforeAll(async () => {
  pipeline = await PipelineUnderTest.start({ workers: 1, simulator: { scenario } });
  api = await pipeline.startProducerApi({ PRODUCER_API_TOKENS: token });
  workDir = mkdtempSync(join(tmpdir(), 'aiqum-jobs-ci-'));
}, 60_000);
afterAll(async () => {
  await pipeline?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

function requestsFile(name: string, lunNames: readonly string[]): string {
  const path = join(workDir, name);
  writeFileSync(path, JSON.stringify(lunNames.map((lun) => ({ target: 'lab', ...lunRequest(lun) }))));
  return path;
}

function aiqumJobs(args: string[], url = api.url) {
  return runCommand({
    args: [bins.cli, ...args],
    env: { AIQUM_JOBS_URL: url, AIQUM_JOBS_TOKEN: token },
    timeoutMs: 60_000,
  });
}

describe('aiqum-jobs in a CI job', () => {
  it('exits 0 and answers the batch as JSON when every request succeeded', async () => {
    const file = requestsFile('ok.json', ['ci_ok_0', 'ci_ok_1', 'ci_ok_2']);
    const result = await aiqumJobs(['submit', file, '--watch', '-o', 'json']);
    expect(result.code, result.stderr).toBe(0);
    const watched = watchedSchema.parse(JSON.parse(result.stdout));
    expect(watched.batch).toMatchObject({ total: 3, done: true, byOutcome: { succeeded: 3 } });
    expect(watched.requests.map((request) => request.outcome)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    // Progress is for the log, on stderr.
    expect(result.stderr).toContain(`batch ${watched.batch.batchId}: 3 requests queued`);
  }, 60_000);

  it('exits 1 when one request failed, and the JSON names it with its AIQUM error', async () => {
    const file = requestsFile('one-fails.json', ['ci_mixed_0', 'ci_mixed_err', 'ci_mixed_2']);
    const result = await aiqumJobs(['submit', file, '--watch', '-o', 'json']);
    expect(result.code, result.stderr).toBe(1);
    const watched = watchedSchema.parse(JSON.parse(result.stdout));
    expect(watched.batch.byOutcome).toMatchObject({ succeeded: 2, failed: 1 });
    const failed = watched.requests.filter((request) => request.outcome !== 'succeeded');
    expect(failed).toEqual([
      expect.objectContaining({
        outcome: 'failed',
        error: expect.objectContaining({ code: 'AIQUM_JOB_ERROR' }),
      }),
    ]);
  }, 60_000);

  it('exits 2 on a usage error, with nothing on stdout', async () => {
    const notJson = join(workDir, 'not-json.txt');
    writeFileSync(notJson, 'these are not requests\n');
    for (const args of [
      ['submit', notJson, '--watch', '-o', 'json'],
      ['submit', '--watch', '-o', 'json'],
      ['submit', requestsFile('fine.json', ['ci_unused']), '-o', 'xml'],
    ]) {
      const result = await aiqumJobs(args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stdout).toBe('');
    }
  });

  it('exits 3 when the API cannot be reached, with nothing on stdout', async () => {
    const file = requestsFile('unreached.json', ['ci_unreached']);
    // Nothing listens on port 1.
    const result = await aiqumJobs(['submit', file, '--watch', '-o', 'json'], 'http://127.0.0.1:1');
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('API_UNREACHABLE');
  });
});
