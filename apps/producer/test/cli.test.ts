import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { RequestSpec, RequestView } from '@aiqum-jobs/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/run-cli.js';
import { type Harness, labLun, startHarness, testToken } from './harness.js';

/** Collects what the CLI writes and lets a test wait until some text appears. */
class Capture {
  text = '';
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

async function cli(argv: string[], context: { env?: Record<string, string>; stdin?: string } = {}) {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(argv, {
    env: context.env ?? env,
    stdout,
    stderr,
    watchIntervalMs: 20,
    ...(context.stdin === undefined ? {} : { stdin: Readable.from([context.stdin]) }),
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Ends a batch's requests the way a worker would: the first succeeds, the others fail. */
async function completeBatch(batchId: string, failures: number): Promise<RequestSpec[]> {
  const ids = await h.store.records.listBatchRequestIds(batchId, 0, 100);
  const specs = (await h.store.records.getMany(ids)) as RequestSpec[];
  for (const [index, spec] of specs.entries()) {
    const failed = index >= specs.length - failures;
    await h.store.completion.complete(
      spec,
      {},
      failed
        ? { outcome: 'failed', error: { code: 'AIQUM_BAD_REQUEST', message: 'size is too small' } }
        : { outcome: 'succeeded' },
    );
  }
  return specs;
}

describe('aiqum-jobs submit FILE --watch', () => {
  it('shows progress on stderr, the summary on stdout, and exits 1 when a request did not succeed', async () => {
    const ndjson = [0, 1, 2]
      .map((index) => JSON.stringify({ ...labLun, body: { name: `lun${index}` } }))
      .join('\n');
    const path = file('requests.ndjson', `${ndjson}\n`);
    const stdout = new Capture();
    const stderr = new Capture();
    const running = runCli(['submit', path, '--watch'], { env, stdout, stderr, watchIntervalMs: 20 });

    const [, batchId = ''] = await stderr.waitFor(/batch ([0-9a-f-]{36}): 3 requests queued/);
    await stderr.waitFor(/progress: 0\/3 done/);
    const ids = await h.store.records.listBatchRequestIds(batchId, 0, 10);
    const specs = (await h.store.records.getMany(ids)) as RequestSpec[];
    const [first, second, third] = specs as [RequestSpec, RequestSpec, RequestSpec];
    // No worker runs here: complete the requests the way one would.
    await h.store.completion.complete(first, {}, { outcome: 'succeeded' });
    await stderr.waitFor(/progress: 1\/3 done, succeeded 1/);
    const nameNotFound = 'lun_maps.0.igroup: no initiator group "ig_db" on SVM "vs1"; candidates: "ig_db2"';
    await h.store.completion.complete(
      second,
      {},
      {
        outcome: 'failed',
        error: { code: 'NAME_NOT_FOUND', message: nameNotFound, field: 'lun_maps.0.igroup' },
      },
    );
    await h.store.completion.complete(
      third,
      {},
      {
        outcome: 'failed',
        error: { code: 'AIQUM_BAD_REQUEST', message: 'size is too small', httpStatus: 400 },
      },
    );

    expect(await running).toBe(1);
    expect(stderr.text).not.toContain('complete');
    expect(stdout.text).not.toContain('progress');
    expect(stdout.text).toContain(`batch ${batchId} complete`);
    expect(stdout.text).toMatch(/succeeded\s+1\n/);
    expect(stdout.text).toMatch(/failed\s+2\n/);
    expect(stdout.text).toMatch(/total\s+3\n/);
    expect(stdout.text).toMatch(
      new RegExp(`${third.requestId}  failed\\s+AIQUM_BAD_REQUEST: size is too small`),
    );
    expect(stdout.text).toContain(`${second.requestId}  failed   NAME_NOT_FOUND: ${nameNotFound}\n`);
    expect(stdout.text).not.toContain(first.requestId);
  });

  it('shows the requests waiting for their dependencies, then the skipped ones in the summary', async () => {
    // d is independent; b waits for a, c for b.
    const requests = [
      { ...labLun, ref: 'a', body: { ...labLun.body, name: 'lun_a' } },
      { ...labLun, ref: 'b', dependsOn: ['a'], body: { ...labLun.body, name: 'lun_b' } },
      { ...labLun, ref: 'c', dependsOn: ['b'], body: { ...labLun.body, name: 'lun_c' } },
      { ...labLun, body: { ...labLun.body, name: 'lun_d' } },
    ];
    const path = file('ordered.json', JSON.stringify(requests));
    const stdout = new Capture();
    const stderr = new Capture();
    const running = runCli(['submit', path, '--watch'], { env, stdout, stderr, watchIntervalMs: 20 });

    const [, batchId = ''] = await stderr.waitFor(/batch ([0-9a-f-]{36}): 4 requests queued/);
    await stderr.waitFor(/progress: 0\/4 done, waiting 2\n/);
    const ids = await h.store.records.listBatchRequestIds(batchId, 0, 10);
    const specs = (await h.store.records.getMany(ids)) as RequestSpec[];
    const [a, b, c, d] = specs as [RequestSpec, RequestSpec, RequestSpec, RequestSpec];
    const listed = (await cli(['requests', batchId])).stdout;
    for (const waiting of [b, c]) expect(listed).toMatch(new RegExp(`${waiting.requestId}  waiting  `));
    expect(listed).toMatch(new RegExp(`${a.requestId}  queued   `));

    await h.store.completion.complete(d, {}, { outcome: 'succeeded' });
    await stderr.waitFor(/progress: 1\/4 done, waiting 2, succeeded 1\n/);
    // Cancelling a skips b, then c (the producer releases them), none of which reached AIQUM.
    await h.producer.cancel(a.requestId);

    expect(await running).toBe(1);
    expect(stderr.text).toMatch(/progress: 4\/4 done, succeeded 1, cancelled 1, skipped 2\n$/);
    expect(stdout.text).toMatch(/^cancelled\s+1\n/m);
    expect(stdout.text).toMatch(/^skipped\s+2\n/m);
    expect(stdout.text).toMatch(/^total\s+4\n/m);
    expect(stdout.text).toContain(
      `${b.requestId}  skipped    DEPENDENCY_FAILED: skipped: dependency "a" (request ${a.requestId}) ended cancelled`,
    );
    expect(stdout.text).toContain(
      `${c.requestId}  skipped    DEPENDENCY_FAILED: skipped: dependency "b" (request ${b.requestId}) ended skipped`,
    );
  });

  it('draws a waiting bar on a terminal while requests wait, and a skipped bar once they are skipped', async () => {
    const requests = [
      { ...labLun, ref: 'a', body: { ...labLun.body, name: 'lun_a' } },
      { ...labLun, dependsOn: ['a'], body: { ...labLun.body, name: 'lun_b' } },
    ];
    const path = file('ordered-tty.json', JSON.stringify(requests));
    const stdout = new Capture();
    const stderr = Object.assign(new Capture(), { isTTY: true });
    const running = runCli(['submit', path, '--watch'], { env, stdout, stderr, watchIntervalMs: 20 });

    const [, batchId = ''] = await stderr.waitFor(/batch ([0-9a-f-]{36}): 2 requests queued/);
    await stderr.waitFor(/waiting {10}\|[^|]*\| 1\/2/);
    const [a] = await h.store.records.listBatchRequestIds(batchId, 0, 1);
    await h.producer.cancel(a ?? '');

    expect(await running).toBe(1);
    expect(stderr.text).toMatch(/skipped {10}\|[^|]*\| 1\/2/);
    expect(stderr.text).toMatch(/waiting {10}\|[^|]*\| 0\/2/);
    expect(stdout.text).toMatch(/^skipped\s+1\n/m);
  });

  it('answers one JSON document with -o json, and exits 0 when every request succeeded', async () => {
    const stdout = new Capture();
    const stderr = new Capture();
    const running = runCli(
      ['submit', file('ok.json', JSON.stringify([labLun, labLun])), '--watch', '-o', 'json'],
      {
        env,
        stdout,
        stderr,
        watchIntervalMs: 20,
      },
    );
    const [, batchId = ''] = await stderr.waitFor(/batch ([0-9a-f-]{36}): 2 requests queued/);
    await completeBatch(batchId, 0);
    expect(await running).toBe(0);
    const report = JSON.parse(stdout.text);
    expect(report.batch).toMatchObject({ batchId, total: 2, done: true, byOutcome: { succeeded: 2 } });
    expect(report.requests.map((request: RequestView) => request.outcome)).toEqual([
      'succeeded',
      'succeeded',
    ]);
  });

  it('prints the answer without --watch, as a line or as JSON', async () => {
    const path = file('requests.json', JSON.stringify([labLun, labLun]));
    const table = await cli(['submit', path]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^batch [0-9a-f-]{36}: 2 requests queued\n$/);
    const result = await cli(['submit', path, '-o', 'json']);
    expect(result.code).toBe(0);
    const answer = JSON.parse(result.stdout);
    expect(answer).toMatchObject({ total: 2, requestIds: [expect.any(String), expect.any(String)] });
    expect(await h.producer.getBatch(answer.batchId)).toMatchObject({ total: 2 });
  });

  it('reads the requests from stdin with -', async () => {
    const ndjson = `${JSON.stringify(labLun)}\n${JSON.stringify(labLun)}\n${JSON.stringify(labLun)}\n`;
    const result = await cli(['submit', '-', '-o', 'json'], { stdin: ndjson });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ total: 3 });
    const empty = await cli(['submit', '-'], { stdin: '' });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('-: the file holds no requests');
  });

  it('reports each bad request and exits 2', async () => {
    const path = file(
      'bad.ndjson',
      `${JSON.stringify(labLun)}\n${JSON.stringify({ ...labLun, path: '//x' })}\n`,
    );
    const before = await h.footprint();
    const result = await cli(['submit', path, '--watch']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('VALIDATION_FAILED');
    expect(result.stderr).toContain('requests[1].path');
    expect(await h.footprint()).toEqual(before);
    const missing = await cli(['submit', join(dir, 'missing.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read');
  });
});

describe('aiqum-jobs batches, requests and events', () => {
  it('lists batches and their requests as a table, JSON or NDJSON', async () => {
    const answer = await h.producer.submitBatch({ requests: [labLun, labLun] });
    const specs = await completeBatch(answer.batchId, 1);

    const batches = await cli(['batches', '-o', 'json']);
    expect(batches.code).toBe(0);
    const listed = JSON.parse(batches.stdout).batches;
    expect(listed[0]).toMatchObject({ batchId: answer.batchId, total: 2, done: true });
    const batchesTable = await cli(['batches']);
    expect(batchesTable.stdout.split('\n')[0]).toMatch(
      /^batch\s+total\s+done\s+succeeded\s+ended\s+created$/,
    );
    expect(batchesTable.stdout).toMatch(new RegExp(`${answer.batchId}\\s+2\\s+2/2\\s+1\\s+yes`));

    const lines = (await cli(['requests', answer.batchId, '-o', 'ndjson'])).stdout.trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line))).toMatchObject([
      { requestId: specs[0]?.requestId, outcome: 'succeeded' },
      { requestId: specs[1]?.requestId, outcome: 'failed', error: { code: 'AIQUM_BAD_REQUEST' } },
    ]);
    const table = (await cli(['requests', answer.batchId])).stdout;
    expect(table).toMatch(
      new RegExp(
        `${specs[1]?.requestId}\\s+completed\\s+failed\\s+POST /api/storage-provider/luns\\s+AIQUM_BAD_REQUEST: size is too small`,
      ),
    );
  });

  it('prints the retained events and exits without --follow', async () => {
    const answer = await h.producer.submitBatch({ requests: [labLun] });
    const [spec] = await completeBatch(answer.batchId, 0);
    const result = await cli(['events', '--batch', answer.batchId, '-o', 'ndjson']);
    expect(result.code).toBe(0);
    const events = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events.map((event) => event.type)).toEqual(['request.completed', 'batch.completed']);
    expect(events[0]).toMatchObject({ requestId: spec?.requestId, streamId: expect.any(String) });
    const json = JSON.parse((await cli(['events', '--batch', answer.batchId, '-o', 'json'])).stdout);
    expect(json.events).toHaveLength(2);
    const after = await cli(['events', '--batch', answer.batchId, '--after', events[0].streamId]);
    expect(after.stdout).toMatch(
      new RegExp(`^${events[1].streamId}  batch.completed  ${answer.batchId}  1 requests\n$`),
    );
  });
});

describe('aiqum-jobs status, cancel and errors', () => {
  it('shows a request or a batch, and cancels a request', async () => {
    const answer = await h.producer.submitBatch({ requests: [labLun] });
    const [requestId = ''] = answer.requestIds;
    const request = await cli(['status', requestId, '-o', 'json']);
    expect(request.code).toBe(0);
    expect(JSON.parse(request.stdout)).toMatchObject({ requestId, status: 'queued' });
    expect((await cli(['status', requestId])).stdout).toMatch(/^field\s+value\nrequestId\s+[0-9a-f-]{36}\n/);
    const batch = await cli(['status', answer.batchId, '-o', 'ndjson']);
    expect(batch.stdout.split('\n')).toHaveLength(2);
    expect(JSON.parse(batch.stdout)).toMatchObject({ batchId: answer.batchId, total: 1 });

    const cancelled = await cli(['cancel', requestId, '-o', 'json']);
    expect(cancelled.code).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ outcome: 'cancelled' });
    const again = await cli(['cancel', requestId]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('REQUEST_COMPLETED');
  });

  it('shows the names a request looked up and the keys sent, in its table', async () => {
    const byName = {
      ...labLun,
      body: {
        name: 'db01',
        svm: { name: 'vs1', cluster: { name: 'cluster-01' } },
        lun_maps: [{ igroup: { name: 'ig_db' } }],
      },
    };
    const [requestId = ''] = (await h.producer.submitBatch({ requests: [byName] })).requestIds;
    const spec = (await h.store.records.getMany([requestId]))[0] as RequestSpec;
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
    await h.store.completion.complete(spec, { resolved }, { outcome: 'succeeded' });

    const piped = await cli(['status', requestId, '-o', 'json']);
    expect(JSON.parse(piped.stdout)).toMatchObject({ requestId, outcome: 'succeeded', resolved });

    const terminal = await cli(['status', requestId]);
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

  it('exits 3 when the API is unreachable and 1 when it refuses the token', async () => {
    const unreachable = await cli(['status', 'x'], { env: { AIQUM_JOBS_URL: 'http://127.0.0.1:1' } });
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain('API_UNREACHABLE');
    const wrongToken = await cli(['status', 'x'], {
      env: { ...env, AIQUM_JOBS_TOKEN: 'wrong-token-0123456789' },
    });
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.stderr).toContain('UNAUTHORIZED');
    expect(wrongToken.stderr).not.toContain('wrong-token-0123456789');
  });

  it("refuses an AIQUM_JOBS_URL that is an AIQUM server's API, in one line naming AIQUM_URL", async () => {
    for (const url of [
      'https://aiqum.example.com/api',
      'https://aiqum.example.com/api/',
      'https://aiqum.example.com/api/datacenter/svm/svms',
      'https://aiqum.example.com:443/api/storage-provider/luns',
    ]) {
      const refused = await cli(['batches'], { env: { AIQUM_JOBS_URL: url } });
      expect(refused.code, url).toBe(2);
      expect(refused.stderr.split('\n')[0], url).toMatch(
        /^AIQUM_JOBS_URL: looks like an AIQUM server.*AIQUM_URL/,
      );
    }
    // Not a clear case: this API behind a proxy under an /api/ prefix of its own is reached (here: nothing answers).
    const proxied = await cli(['batches'], { env: { AIQUM_JOBS_URL: 'http://127.0.0.1:1/api/aiqum-jobs' } });
    expect(proxied.code).toBe(3);
  });

  it('answers usage errors with exit code 2', async () => {
    expect((await cli(['launch'])).code).toBe(2);
    expect((await cli([])).code).toBe(2);
    expect((await cli(['status'])).stderr).toContain('status needs an ID');
    const bogus = await cli(['submit', '--bogus']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain('usage: aiqum-jobs submit FILE|-');
    const format = await cli(['batches', '-o', 'yaml']);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('-o: one of table, json, ndjson');
    expect((await cli(['batches', '--limit', '0'])).code).toBe(2);
  });

  it('prints help, per command, and the version', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['serve', 'submit', 'status', 'batches', 'requests', 'events', 'cancel', 'poll']) {
      expect(help.stdout).toContain(`  ${command}`);
    }
    expect(help.stdout).toContain('exit codes: 0 all succeeded, 1 some did not');
    const submit = await cli(['submit', '--help']);
    expect(submit.code).toBe(0);
    expect(submit.stdout).toMatch(/^usage: aiqum-jobs submit FILE\|- \[--watch\]/);
    expect(submit.stdout).not.toContain('cancel ID');
    const version = await cli(['--version']);
    expect(version).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
  });
});
