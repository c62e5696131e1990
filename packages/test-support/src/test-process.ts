import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { basename } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** How a process ended: its exit code, or the signal that ended it. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** When a started process counts as ready. */
export type Readiness =
  /** A GET of this URL answers 2xx (a health or readiness endpoint), sent with `headers`. */
  | { url: string; headers?: Record<string, string> }
  /** A line it printed (standard output or error) matches. */
  | { line: RegExp };

export interface ProcessOptions {
  /** The executable. @defaultValue this Node.js, so `args` start with the script */
  command?: string;
  args: readonly string[];
  /** Its whole environment besides PATH: a child sees nothing of the test's own (REDIS_URL...). */
  env?: Record<string, string>;
  /** Written to its standard input, which is then closed. @defaultValue none, standard input ignored */
  input?: string;
  /** Its name in errors. @defaultValue the command line */
  name?: string;
}

export interface StartOptions extends ProcessOptions {
  /** @defaultValue ready once spawned */
  ready?: Readiness;
  /** @defaultValue 20_000 */
  readyTimeoutMs?: number;
  /** Between two readiness checks. @defaultValue 25 */
  readyIntervalMs?: number;
  /** How long `stop()` waits after SIGTERM before it kills with SIGKILL. @defaultValue 10_000 */
  stopTimeoutMs?: number;
}

export interface RunOptions extends ProcessOptions {
  /** A command still running this long after its start is killed with SIGKILL. @defaultValue 60_000 */
  timeoutMs?: number;
}

export interface CommandResult extends ProcessExit {
  stdout: string;
  stderr: string;
}

/**
 * A child process of a test (an app, a simulator, redis-server...), its output captured. It never outlives
 * its test by accident: a start that fails kills it, and every stop has a deadline after which it is killed.
 */
export class TestProcess {
  readonly name: string;
  /** Resolves once the process has ended and its output is all read. */
  readonly exited: Promise<ProcessExit>;
  readonly #child: ChildProcess;
  readonly #stopTimeoutMs: number;
  #stdout = '';
  #stderr = '';
  #output = '';

  private constructor(child: ChildProcess, name: string, stopTimeoutMs: number) {
    this.#child = child;
    this.name = name;
    this.#stopTimeoutMs = stopTimeoutMs;
    child.stdout?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.#stdout += text;
      this.#output += text;
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.#stderr += text;
      this.#output += text;
    });
    // Without listeners, a failed spawn or kill, or a child that exits before reading its input, would throw
    // in the test runner; a failed spawn is reported by start().
    child.on('error', () => {});
    child.stdin?.on('error', () => {});
    // 'close', not 'exit': by then the output is complete.
    this.exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  }

  /**
   * Spawns the process and waits until it is `ready`. When it exits first, or is not ready in time, it is
   * killed (no orphan stays behind) and start() rejects with its command and its output.
   */
  static async start(options: StartOptions): Promise<TestProcess> {
    const command = options.command ?? process.execPath;
    const name = options.name ?? [basename(command), ...options.args].join(' ');
    const child = spawn(command, options.args, {
      env: { PATH: process.env.PATH ?? '', ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const started = new TestProcess(child, name, options.stopTimeoutMs ?? 10_000);
    if (child.pid === undefined) {
      const [error] = (await once(child, 'error')) as [Error];
      throw new Error(`cannot start ${name}: ${error.message}`, { cause: error });
    }
    if (options.input !== undefined) child.stdin?.end(options.input);
    if (options.ready === undefined) return started;
    const failure = await started.#waitUntilReady(
      options.ready,
      options.readyTimeoutMs ?? 20_000,
      options.readyIntervalMs ?? 25,
    );
    if (failure === undefined) return started;
    await started.kill();
    throw new Error(`${name} ${failure}:\n${started.output}`);
  }

  get pid(): number {
    const pid = this.#child.pid;
    if (pid === undefined) throw new Error(`${this.name} has no process id`);
    return pid;
  }

  /** True until the process exits. */
  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Everything it printed, standard output and error as they came. */
  get output(): string {
    return this.#output;
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  signal(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }

  /**
   * SIGTERM, then its exit code. One still running `timeoutMs` later is killed with SIGKILL and stop() rejects:
   * one slow stop must not stall the tests after it.
   */
  async stop(timeoutMs = this.#stopTimeoutMs): Promise<number | null> {
    if (this.running) this.#child.kill('SIGTERM');
    const exit = await within(this.exited, timeoutMs);
    if (exit !== undefined) return exit.code;
    await this.kill();
    throw new Error(`${this.name} did not exit within ${timeoutMs} ms of SIGTERM, killed:\n${this.output}`);
  }

  /** SIGKILL unless it has exited already, then how it ended. */
  async kill(): Promise<ProcessExit> {
    if (this.running) this.#child.kill('SIGKILL');
    return this.exited;
  }

  /** Undefined once ready, else why it never was. */
  async #waitUntilReady(
    ready: Readiness,
    timeoutMs: number,
    intervalMs: number,
  ): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) {
        const { code, signal } = await this.exited;
        return `exited with ${signal ?? `code ${code}`} before it was ready`;
      }
      if (await this.#isReady(ready, deadline)) return undefined;
      if (Date.now() >= deadline) return `was not ready within ${timeoutMs} ms, killed`;
      // An exit ends the wait at once.
      await Promise.race([delay(intervalMs), this.exited]);
    }
  }

  async #isReady(ready: Readiness, deadline: number): Promise<boolean> {
    if ('line' in ready) return this.#output.split('\n').some((line) => ready.line.test(line));
    try {
      // Bounded: a server that accepts but never answers must not hold the wait past its deadline.
      const response = await fetch(ready.url, {
        headers: ready.headers ?? {},
        signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
      });
      await response.body?.cancel();
      return response.ok;
    } catch {
      return false; // Refused until it listens.
    }
  }
}

/**
 * Runs a command to its end: how it ended and what it printed. One still running after `timeoutMs` is killed
 * with SIGKILL and runCommand rejects.
 */
export async function runCommand(options: RunOptions): Promise<CommandResult> {
  const child = await TestProcess.start(options);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const exit = await within(child.exited, timeoutMs);
  if (exit === undefined) {
    await child.kill();
    throw new Error(`${child.name} did not end within ${timeoutMs} ms, killed:\n${child.output}`);
  }
  return { ...exit, stdout: child.stdout, stderr: child.stderr };
}

/** What `promise` resolves to within `ms`, or undefined. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, ms, undefined);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
