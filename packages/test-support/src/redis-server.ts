import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestProcess } from './test-process.js';

/** A port that was free a moment ago, chosen by the kernel. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

export interface RedisServerOptions {
  /** Append-only file with fsync on every write, for restart tests. @defaultValue false */
  appendOnly?: boolean;
  /** Directory of the data files; reuse it to restart the same Redis. @defaultValue a new temp dir */
  dir?: string;
  /** @defaultValue a free port */
  port?: number;
  /** Runs it as a Redis Cluster node whose cluster bus listens on this port. @defaultValue not a cluster node */
  clusterBusPort?: number;
}

/** A redis-server process of a test's own, on a free loopback port. */
export class RedisServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly #process: TestProcess;
  readonly #ownsDir: boolean;

  private constructor(process: TestProcess, port: number, dir: string, ownsDir: boolean) {
    this.#process = process;
    this.port = port;
    this.dir = dir;
    this.#ownsDir = ownsDir;
    this.url = `redis://127.0.0.1:${port}`;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const port = options.port ?? (await freePort());
    const ownsDir = options.dir === undefined;
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'aiqum-jobs-redis-'));
    mkdirSync(dir, { recursive: true });
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
    args.push(
      ...(options.appendOnly ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    );
    if (options.clusterBusPort !== undefined) {
      // The bus port is set, not left at port + 10,000, which may be past 65,535 or taken.
      args.push('--cluster-enabled', 'yes', '--cluster-port', String(options.clusterBusPort));
      args.push('--cluster-config-file', join(dir, 'nodes.conf'));
      // Without it, a node that has not met another names itself by an empty host in CLUSTER SLOTS.
      args.push('--cluster-announce-ip', '127.0.0.1');
    }
    const child = await TestProcess.start({
      command: 'redis-server',
      args,
      name: `redis-server on port ${port}`,
      // Logged once it has loaded its files and accepts connections.
      ready: { line: /Ready to accept connections/ },
      readyTimeoutMs: 10_000,
    });
    return new RedisServer(child, port, dir, ownsDir);
  }

  /** Sends a signal, e.g. SIGKILL for a crash or SIGSTOP/SIGCONT for a pause. */
  signal(signal: NodeJS.Signals): void {
    this.#process.signal(signal);
  }

  /**
   * Stops the process (SIGSTOP) and resolves once Linux shows it stopped: a signal is delivered when the
   * process is next scheduled, and a command that reached it before that would still be answered.
   */
  async pause(): Promise<void> {
    this.#process.signal('SIGSTOP');
    const stat = `/proc/${this.#process.pid}/stat`;
    // The state is the field after the parenthesised program name; T is stopped by a signal.
    while ((await readFile(stat, 'utf8')).split(') ').at(-1)?.[0] !== 'T') {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /** Resolves when the process has exited (after a signal, or by itself). */
  async stopped(): Promise<void> {
    await this.#process.exited;
  }

  /** Kills it (a test's Redis has nothing to save), and removes its files unless the test gave the dir. */
  async stop(): Promise<void> {
    await this.#process.kill();
    if (this.#ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
