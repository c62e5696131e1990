import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, waitUntil } from '@aiqum-jobs/test-support';

const workerBin = fileURLToPath(new URL('../../apps/worker/bin/aiqum-worker.js', import.meta.url));

/** A real `aiqum-worker` process (the built one), for crash and multi-process tests. */
export class WorkerProcess {
  readonly healthUrl: string;
  readonly #child: ChildProcess;
  readonly #output: string[] = [];
  readonly exited: Promise<number | null>;

  private constructor(child: ChildProcess, healthUrl: string) {
    this.#child = child;
    this.healthUrl = healthUrl;
    child.stdout?.on('data', (chunk: Buffer) => this.#output.push(chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => this.#output.push(chunk.toString('utf8')));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Starts a worker with `env` (plus a free health port) and waits until it is ready. */
  static async start(env: Record<string, string>): Promise<WorkerProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [workerBin], {
      env: { PATH: process.env.PATH ?? '', ...env, WORKER_HEALTH_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const worker = new WorkerProcess(child, `http://127.0.0.1:${port}`);
    await Promise.race([
      waitUntil(
        async () => {
          try {
            return (await fetch(`${worker.healthUrl}/readyz`)).ok || undefined;
          } catch {
            return undefined;
          }
        },
        { timeoutMs: 20_000, what: 'the worker process to be ready' },
      ),
      worker.exited.then((code) => {
        throw new Error(`worker exited with ${code} before it was ready:\n${worker.output}`);
      }),
    ]);
    return worker;
  }

  /** Everything the process printed: pino JSON lines. */
  get output(): string {
    return this.#output.join('');
  }

  signal(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }

  async stop(): Promise<number | null> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
    return this.exited;
  }
}
