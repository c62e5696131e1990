import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const bin = join(packageDir, 'bin', 'aiqum-simulator.js');
const run = promisify(execFile);

describe('aiqum-simulator CLI', () => {
  let stateDir: string;
  beforeAll(async () => {
    // The bin imports dist/, which `npm test` builds before any test runs. Building it here would rewrite dist/
    // while other test files import it (a bench test once read a half-written module).
    stateDir = await mkdtemp(join(tmpdir(), 'aiqum-simulator-cli-'));
  });
  afterAll(() => rm(stateDir, { recursive: true, force: true }));

  it('prints the URL, the CA path and the users (no passwords), serves HTTPS, and exits 0 on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        bin,
        '--port',
        '0',
        '--state-dir',
        stateDir,
        '--users',
        'alice:s3cret-pw:application_admin,bob:hunter2:operator',
        '--long-poll',
        '--dialect',
        'docs',
        '--auth-error-body',
        'empty',
        '--no-gateway',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const lines: string[] = [];
    const reader = createInterface({ input: child.stdout });
    for await (const line of reader) {
      lines.push(line);
      if (line.includes('curl')) break;
    }
    const url = /^aiqum-simulator listening on (https:\/\/127\.0\.0\.1:\d+)$/.exec(lines[0] ?? '')?.[1];
    expect(url).toBeDefined();
    expect(lines[1]).toBe(`CA certificate: ${join(stateDir, 'ca.pem')}`);
    const text = lines.join('\n');
    expect(text).toContain('alice:application_admin');
    expect(text).toContain('bob:operator');
    expect(text).not.toContain('s3cret-pw');
    expect(text).not.toContain('hunter2');
    const ca = await readFile(join(stateDir, 'ca.pem'), 'utf8');
    expect(ca).toContain('BEGIN CERTIFICATE');
    const dispatcher = new Agent({ connect: { ca } });
    const refused = await request(`${url}/api/management-server/jobs`, { dispatcher });
    expect(refused.statusCode).toBe(401);
    expect(await refused.body.text()).toBe('');
    const alice = `Basic ${Buffer.from('alice:s3cret-pw').toString('base64')}`;
    const gateways = await request(`${url}/api/gateways`, { dispatcher, headers: { authorization: alice } });
    expect(gateways.statusCode).toBe(403);
    await gateways.body.dump();
    await dispatcher.close();

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('rejects bad flags with a message on stderr and exit code 2', async () => {
    for (const args of [
      ['--bogus'],
      ['--dialect', '9.7'],
      ['--auth-error-body', 'xml'],
      ['--long-poll-param', 'wait_seconds'],
      ['--port', 'abc'],
      ['--default-page-size', '0'],
      ['--users', 'x:y:root'],
    ]) {
      const failure = await run(process.execPath, [bin, ...args]).then(
        () => undefined,
        (error: { code?: number; stderr?: string }) => error,
      );
      expect(failure?.code).toBe(2);
      expect(failure?.stderr).toMatch(/^aiqum-simulator: /);
    }
  });
});
