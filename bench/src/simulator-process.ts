import type { ScenarioInput } from '@aiqum-jobs/aiqum-simulator';
import { freePort, TestProcess } from '@aiqum-jobs/test-support';
import { z } from 'zod';
import { bins } from './repo-paths.js';

/** The simulator's application administrator: the only user its admin API (`/_sim/`) answers. */
const authorization = `Basic ${Buffer.from('admin:admin123').toString('base64')}`;

const statsSchema = z.object({
  requests: z.record(z.string(), z.record(z.string(), z.number())),
  polls: z.record(z.string(), z.number()),
  peakConcurrentRequests: z.number(),
  jobs: z.object({ byState: z.record(z.string(), z.number()), total: z.number() }),
});
export type SimulatorCounts = z.output<typeof statsSchema>;

const groundTruthSchema = z.object({
  id: z.string(),
  correlationId: z.string().nullable(),
  submitTime: z.iso.datetime(),
  endTime: z.iso.datetime(),
});
export type JobTruth = z.output<typeof groundTruthSchema>;

/** All HTTP calls the simulator answered (admin calls are not counted by it). */
export function httpCalls(stats: SimulatorCounts): number {
  let calls = 0;
  for (const byStatus of Object.values(stats.requests)) {
    for (const count of Object.values(byStatus)) calls += count;
  }
  return calls;
}

/** GETs of single jobs (polls and long polls). */
export function jobGets(stats: SimulatorCounts): number {
  return Object.values(stats.polls).reduce((sum, count) => sum + count, 0);
}

/**
 * The AIQUM simulator in a process of its own over plain HTTP: its event loop answers AIQUM calls only,
 * so the bench's own work (reading events, MONITOR) never delays an answer, and its CPU time is its own.
 */
export class SimulatorProcess {
  readonly url: string;
  readonly service: TestProcess;

  private constructor(url: string, service: TestProcess) {
    this.url = url;
    this.service = service;
  }

  static async start(options: { longPoll?: boolean } = {}): Promise<SimulatorProcess> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const args = ['--http', '--port', String(port), '--seed', '1', '--log-level', 'warn'];
    if (options.longPoll) args.push('--long-poll');
    const service = await TestProcess.start({
      name: 'aiqum-simulator',
      args: [bins.simulator, ...args],
      ready: { url: `${url}/_sim/stats`, headers: { authorization } },
      readyTimeoutMs: 30_000,
    });
    return new SimulatorProcess(url, service);
  }

  async stats(): Promise<SimulatorCounts> {
    return statsSchema.parse(await this.#call('GET', '/_sim/stats'));
  }

  /** Clears the counters, and with `all` the jobs and inventory too. */
  async reset(all = false): Promise<void> {
    await this.#call('POST', `/_sim/reset${all ? '?all=true' : ''}`);
  }

  async setScenario(scenario: ScenarioInput): Promise<void> {
    await this.#call('PUT', '/_sim/scenario', scenario);
  }

  /** What really happened to one job: when it was submitted and when it ended. */
  async job(key: string): Promise<JobTruth> {
    return groundTruthSchema.parse(await this.#call('GET', `/_sim/jobs/${encodeURIComponent(key)}`));
  }

  /** A call to the simulated AIQUM API as its application administrator; a non-2xx answer throws. */
  async call(method: string, path: string, body?: unknown): Promise<unknown> {
    return this.#call(method, path, body);
  }

  async close(): Promise<void> {
    await this.service.stop();
  }

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        authorization,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok)
      throw new Error(`simulator ${method} ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  }
}
