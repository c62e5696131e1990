import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, waitUntil } from '@aiqum-jobs/test-support';

const repoFile = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

/** The built command-line entry points of the apps. */
export const bins = {
  worker: repoFile('apps/worker/bin/aiqum-worker.js'),
  cli: repoFile('apps/producer/bin/aiqum-jobs.js'),
};

/** A real process of one of the apps (the built one), for crash and multi-process tests. */
export class ServiceProcess {
  /** Base URL of its HTTP port (`/healthz`, `/readyz`, and the API for the producer). */
  readonly url: string;
  readonly #child: ChildProcess;
  readonly #output: string[] = [];
  readonly exited: Promise<number | null>;

  private constructor(child: ChildProcess, url: string) {
    this.#child = child;
    this.url = url;
    child.stdout?.on('data', (chunk: Buffer) => this.#output.push(chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => this.#output.push(chunk.toString('utf8')));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** An `aiqum-worker` with `env`, on a free health port, once it is ready. */
  static async worker(env: Record<string, string>): Promise<ServiceProcess> {
    const port = await freePort();
    return ServiceProcess.#start([bins.worker], { ...env, WORKER_HEALTH_PORT: String(port) }, port);
  }

  /** `aiqum-jobs serve` with `env`, on a free port, once it is ready. */
  static async producer(env: Record<string, string>): Promise<ServiceProcess> {
    const port = await freePort();
    return ServiceProcess.#start([bins.cli, 'serve'], { ...env, PRODUCER_PORT: String(port) }, port);
  }

  static async #start(args: string[], env: Record<string, string>, port: number): Promise<ServiceProcess> {
    const child = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ServiceProcess(child, `http://127.0.0.1:${port}`);
    await Promise.race([
      waitUntil(
        async () => {
          try {
            return (await fetch(`${service.url}/readyz`)).ok || undefined;
          } catch {
            return undefined;
          }
        },
        { timeoutMs: 20_000, what: `${args.join(' ')} to be ready` },
      ),
      service.exited.then((code) => {
        throw new Error(`${args.join(' ')} exited with ${code} before it was ready:\n${service.output}`);
      }),
    ]);
    return service;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** True until the process exits. */
  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Everything the process printed. */
  get output(): string {
    return this.#output.join('');
  }

  signal(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }

  /** SIGTERM, then the exit code. */
  async stop(): Promise<number | null> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
    return this.exited;
  }
}

/** Runs a command to its end; resolves with its exit code and output. */
export function runCommand(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
