import { type ChildProcess, spawn } from 'node:child_process';
import { waitUntil } from '@aiqum-jobs/test-support';

/** A Node.js process the bench runs (worker, simulator, peer), ready once `ready` answers. */
export class ChildService {
  readonly name: string;
  readonly #child: ChildProcess;
  readonly #output: string[] = [];
  readonly exited: Promise<number | null>;

  private constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.#child = child;
    child.stdout?.on('data', (chunk: Buffer) => this.#output.push(chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => this.#output.push(chunk.toString('utf8')));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Spawns `node [nodeArgs] script [args]` with `env` (and PATH), then waits for `ready`. */
  static async start(init: {
    name: string;
    script: string;
    args?: string[];
    nodeArgs?: string[];
    env: Record<string, string>;
    ready: () => Promise<boolean>;
  }): Promise<ChildService> {
    const child = spawn(process.execPath, [...(init.nodeArgs ?? []), init.script, ...(init.args ?? [])], {
      env: { PATH: process.env.PATH ?? '', ...init.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ChildService(init.name, child);
    await Promise.race([
      waitUntil(async () => (await init.ready().catch(() => false)) || undefined, {
        timeoutMs: 30_000,
        what: `${init.name} to be ready`,
      }),
      service.exited.then((code) => {
        throw new Error(`${init.name} exited with ${code} before it was ready:\n${service.output}`);
      }),
    ]);
    return service;
  }

  get pid(): number {
    const pid = this.#child.pid;
    if (pid === undefined) throw new Error(`${this.name} has no process id`);
    return pid;
  }

  /** Everything the process printed. */
  get output(): string {
    return this.#output.join('');
  }

  /** SIGTERM, then the exit code (a CPU profile is written on a clean exit). */
  async stop(): Promise<number | null> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
    return this.exited;
  }
}
