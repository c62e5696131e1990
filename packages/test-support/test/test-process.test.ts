import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { freePort, runCommand, TestProcess } from '../src/index.js';

/** Children are tiny `node -e` scripts; each prints its pid first so a test can check it is gone. */
const node = (script: string) => ['-e', `console.log('pid', process.pid); ${script}`];
const forever = 'setInterval(() => {}, 1_000);';
const exitOnTerm = "process.on('SIGTERM', () => process.exit(0));";

/** True while a process with this id exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function pidIn(text: string): number {
  const pid = Number(/^pid (\d+)$/m.exec(text)?.[1]);
  if (!Number.isInteger(pid)) throw new Error(`no pid in ${JSON.stringify(text)}`);
  return pid;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('TestProcess', () => {
  it('is ready once a line of its output matches, and stops on SIGTERM with its exit code', async () => {
    const child = await TestProcess.start({
      args: node(`${exitOnTerm} console.log('listening'); ${forever}`),
      ready: { line: /^listening$/ },
    });
    expect(child.running).toBe(true);
    expect(child.output).toContain('listening');
    expect(await child.stop()).toBe(0);
    expect(child.running).toBe(false);
  });

  it('is ready once its URL answers 2xx', async () => {
    const port = await freePort();
    const script = `require('node:http').createServer((_, res) => res.end('ok')).listen(${port}, '127.0.0.1');`;
    const child = await TestProcess.start({
      args: node(`${exitOnTerm} setTimeout(() => { ${script} }, 300);`),
      ready: { url: `http://127.0.0.1:${port}/readyz` },
    });
    expect(await fetch(`http://127.0.0.1:${port}/`).then((response) => response.text())).toBe('ok');
    expect(await child.stop()).toBe(0);
  });

  it('kills a child that never becomes ready, and names its command and output', async () => {
    const error = await rejection(
      TestProcess.start({
        args: node(`console.log('still starting'); ${forever}`),
        ready: { line: /^listening$/ },
        readyTimeoutMs: 300,
      }),
    );
    expect(error.message).toMatch(/^node -e .* was not ready within 300 ms, killed:/);
    expect(error.message).toContain('still starting');
    expect(alive(pidIn(error.message))).toBe(false);
  });

  it('kills a child whose URL accepts connections but never answers, at the readiness deadline', async () => {
    const server = createServer(() => {});
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const error = await rejection(
        TestProcess.start({
          args: node(forever),
          ready: { url: `http://127.0.0.1:${port}/readyz` },
          readyTimeoutMs: 300,
        }),
      );
      expect(error.message).toContain('was not ready within 300 ms, killed');
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(alive(pidIn(error.message))).toBe(false);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('rejects at once when the child exits before it is ready', async () => {
    const started = Date.now();
    const error = await rejection(
      TestProcess.start({
        args: node("console.error('no config'); process.exit(3);"),
        ready: { line: /^listening$/ },
        readyTimeoutMs: 10_000,
      }),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error.message).toMatch(/exited with code 3 before it was ready:/);
    expect(error.message).toContain('no config');
  });

  it('kills a child that ignores SIGTERM at the stop deadline, and says so', async () => {
    const child = await TestProcess.start({
      args: node(`process.on('SIGTERM', () => console.log('ignored')); console.log('listening'); ${forever}`),
      ready: { line: /^listening$/ },
      stopTimeoutMs: 300,
    });
    const started = Date.now();
    const error = await rejection(child.stop());
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error.message).toMatch(/did not exit within 300 ms of SIGTERM, killed/);
    expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(alive(child.pid)).toBe(false);
  });

  it('gives the child no environment but PATH and what the test passes', async () => {
    process.env.AIQUM_JOBS_TEST_PROCESS_LEAK = 'leaked';
    try {
      const { stdout } = await runCommand({
        args: ['-e', 'console.log(Object.keys(process.env).sort().join(","))'],
        env: { GIVEN: '1' },
      });
      expect(stdout.trim()).toBe('GIVEN,PATH');
    } finally {
      delete process.env.AIQUM_JOBS_TEST_PROCESS_LEAK;
    }
  });
});

describe('runCommand', () => {
  it('runs a command to its end: exit code, standard output and error, with the input given', async () => {
    const result = await runCommand({
      args: ['-e', "process.stdin.pipe(process.stdout); process.stderr.write('err'); process.exitCode = 2;"],
      input: 'in and out',
    });
    expect(result).toEqual({ code: 2, signal: null, stdout: 'in and out', stderr: 'err' });
  });

  it('kills a command that outlives its timeout, and rejects', async () => {
    const error = await rejection(runCommand({ args: node(forever), timeoutMs: 300 }));
    expect(error.message).toMatch(/^node -e .* did not end within 300 ms, killed:/);
    expect(alive(pidIn(error.message))).toBe(false);
  });

  it('rejects when the command cannot be started', async () => {
    const error = await rejection(runCommand({ command: 'aiqum-jobs-no-such-command', args: [] }));
    expect(error.message).toMatch(
      /^cannot start aiqum-jobs-no-such-command: spawn aiqum-jobs-no-such-command ENOENT/,
    );
  });
});
