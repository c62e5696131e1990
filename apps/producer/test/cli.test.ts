import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestSpec } from '@aiqum-jobs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/run-cli.js';
import { type Harness, labLun, startHarness, testToken } from './harness.js';

/** Collects what the CLI writes and lets a test wait until some text appears. */
class Capture {
  text = '';
  constructor(readonly isTTY = false) {}
  #waiters: Array<{ pattern: RegExp; resolve: (match: RegExpMatchArray) => void }> = [];

  write(chunk: string): boolean {
    this.text += chunk;
    this.#waiters = this.#waiters.filter((waiter) => {
      const match = this.text.match(waiter.pattern);
      if (match) waiter.resolve(match);
      return !match;
    });
    return true;
  }

  waitFor(pattern: RegExp): Promise<RegExpMatchArray> {
    const match = this.text.match(pattern);
    if (match) return Promise.resolve(match);
    return new Promise((resolve) => this.#waiters.push({ pattern, resolve }));
  }
}

let h: Harness;
let env: Record<string, string>;
let dir: string;

beforeAll(async () => {
  h = await startHarness();
  const url = await h.server.listen({ host: '127.0.0.1', port: 0 });
  env = { AIQUM_JOBS_URL: url, AIQUM_JOBS_TOKEN: testToken };
  dir = mkdtempSync(join(tmpdir(), 'aiqum-jobs-cli-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await h.close();
});

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function cli(argv: string[], context: { env?: Record<string, string>; tty?: boolean } = {}) {
  const stdout = new Capture(context.tty);
  const stderr = new Capture();
  const code = await runCli(argv, { env: context.env ?? env, stdout, stderr, watchIntervalMs: 20 });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('aiqum-jobs submit FILE --watch', () => {
  it('shows progress by outcome and ends with a summary once the batch completes', async () => {
    const ndjson = [0, 1, 2]
      .map((index) => JSON.stringify({ ...labLun, body: { name: `lun${index}` } }))
      .join('\n');
    const path = file('requests.ndjson', `${ndjson}\n`);
    const stdout = new Capture();
    const stderr = new Capture();
    const running = runCli(['submit', path, '--watch'], { env, stdout, stderr, watchIntervalMs: 20 });

    const [, batchId = ''] = await stdout.waitFor(/batch ([0-9a-f-]{36}): 3 requests queued/);
    await stdout.waitFor(/progress: 0\/3 done/);
    const ids = await h.store.listBatchRequestIds(batchId, 0, 10);
    const specs = (await h.store.getMany(ids)) as RequestSpec[];
    const [first, second, third] = specs as [RequestSpec, RequestSpec, RequestSpec];
    // No worker runs here: complete the requests the way one would.
    await h.store.complete(first, {}, { outcome: 'succeeded' });
    await stdout.waitFor(/progress: 1\/3 done, succeeded 1/);
    const nameNotFound = 'lun_maps.0.igroup: no initiator group "ig_db" on SVM "vs1"; candidates: "ig_db2"';
    await h.store.complete(
      second,
      {},
      {
        outcome: 'failed',
        error: { code: 'NAME_NOT_FOUND', message: nameNotFound, field: 'lun_maps.0.igroup' },
      },
    );
    await h.store.complete(
      third,
      {},
      {
        outcome: 'failed',
        error: { code: 'AIQUM_BAD_REQUEST', message: 'size is too small', httpStatus: 400 },
      },
    );

    expect(await running).toBe(0);
    expect(stderr.text).toBe('');
    expect(stdout.text).toContain(`batch ${batchId} complete`);
    expect(stdout.text).toMatch(/succeeded\s+1\n/);
    expect(stdout.text).toMatch(/failed\s+2\n/);
    expect(stdout.text).toMatch(/total\s+3\n/);
    expect(stdout.text).toContain(`${third.requestId}  failed`);
    expect(stdout.text).toContain('AIQUM_BAD_REQUEST: size is too small');
    expect(stdout.text).toContain(`${second.requestId}  failed          NAME_NOT_FOUND: ${nameNotFound}\n`);
    expect(stdout.text).not.toContain(first.requestId);
  });

  it('prints the answer without --watch, and accepts a JSON array', async () => {
    const path = file('requests.json', JSON.stringify([labLun, labLun]));
    const result = await cli(['submit', path]);
    expect(result.code).toBe(0);
    const answer = JSON.parse(result.stdout);
    expect(answer).toMatchObject({ total: 2, requestIds: [expect.any(String), expect.any(String)] });
    expect(await h.producer.getBatch(answer.batchId)).toMatchObject({ total: 2 });
  });

  it('reports each bad request and exits non-zero', async () => {
    const path = file(
      'bad.ndjson',
      `${JSON.stringify(labLun)}\n${JSON.stringify({ ...labLun, path: '//x' })}\n`,
    );
    const before = await h.footprint();
    const result = await cli(['submit', path, '--watch']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('VALIDATION_FAILED');
    expect(result.stderr).toContain('requests[1].path');
    expect(await h.footprint()).toEqual(before);
  });
});

describe('aiqum-jobs status, cancel and errors', () => {
  it('shows a request or a batch, and cancels a request', async () => {
    const answer = await h.producer.submitBatch({ requests: [labLun] });
    const [requestId = ''] = answer.requestIds;
    const request = await cli(['status', requestId]);
    expect(request.code).toBe(0);
    expect(JSON.parse(request.stdout)).toMatchObject({ requestId, status: 'queued' });
    const batch = await cli(['status', answer.batchId]);
    expect(JSON.parse(batch.stdout)).toMatchObject({ batchId: answer.batchId, total: 1 });

    const cancelled = await cli(['cancel', requestId]);
    expect(cancelled.code).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ outcome: 'cancelled' });
    const again = await cli(['cancel', requestId]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('REQUEST_COMPLETED');
  });

  it('shows the names a request looked up and the keys sent, at a terminal', async () => {
    const byName = {
      ...labLun,
      body: {
        name: 'db01',
        svm: { name: 'vs1', cluster: { name: 'cluster-01' } },
        lun_maps: [{ igroup: { name: 'ig_db' } }],
      },
    };
    const [requestId = ''] = (await h.producer.submitBatch({ requests: [byName] })).requestIds;
    const spec = (await h.store.getMany([requestId]))[0] as RequestSpec;
    const resolved = [
      {
        field: 'svm',
        kind: 'svm',
        reference: { name: 'vs1', cluster: { name: 'cluster-01' } },
        key: 'svm-1',
      },
      {
        field: 'lun_maps.0.igroup',
        kind: 'igroup',
        reference: { name: 'ig_db', svm: { name: 'vs1' }, cluster: { name: 'cluster-01' } },
        key: 'ig-1',
      },
      {
        field: 'access_control.active_directory_mapping',
        kind: 'activeDirectoryMapping',
        reference: { svm: { name: 'vs1' } },
        key: 'ad-\u001b[31m',
      },
    ];
    // As the worker does: the keys it sent are facts of the completion.
    await h.store.complete(spec, { resolved }, { outcome: 'succeeded' });

    const piped = await cli(['status', requestId]);
    expect(JSON.parse(piped.stdout)).toMatchObject({ requestId, outcome: 'succeeded', resolved });

    const terminal = await cli(['status', requestId], { tty: true });
    expect(terminal.code).toBe(0);
    const lines = terminal.stdout.slice(terminal.stdout.indexOf('\nnames looked up:\n'));
    expect(lines).toBe(
      [
        '',
        'names looked up:',
        '  svm: SVM "vs1" (cluster "cluster-01") → "svm-1"',
        '  lun_maps.0.igroup: initiator group "ig_db" (svm "vs1", cluster "cluster-01") → "ig-1"',
        '  access_control.active_directory_mapping: Active Directory mapping (svm "vs1") → "ad-\\u001b[31m"',
        '',
      ].join('\n'),
    );
  });

  it('exits non-zero when the API is unreachable or refuses the token', async () => {
    const unreachable = await cli(['status', 'x'], { env: { AIQUM_JOBS_URL: 'http://127.0.0.1:1' } });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('API_UNREACHABLE');
    const wrongToken = await cli(['status', 'x'], {
      env: { ...env, AIQUM_JOBS_TOKEN: 'wrong-token-0123456789' },
    });
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.stderr).toContain('UNAUTHORIZED');
    expect(wrongToken.stderr).not.toContain('wrong-token-0123456789');
  });

  it('answers usage errors with exit code 2', async () => {
    expect((await cli(['launch'])).code).toBe(2);
    expect((await cli(['events'])).stderr).toContain('--follow');
    expect((await cli(['submit', '--bogus'])).code).toBe(2);
    expect((await cli(['--help'])).code).toBe(0);
  });
});
