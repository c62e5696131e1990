import type { RequestInput } from '@aiqum-jobs/contracts';
import { Agent, request } from 'undici';
import { z } from 'zod';
import { cpuByRole, cpuSpent } from './process-cpu.js';
import type { SimulatorProcess } from './simulator-process.js';

/** A bare HTTP client doing what each request needs of AIQUM, nothing else: the pipeline's ceiling. */
export interface HttpCeiling {
  pairs: number;
  connections: number;
  inFlight: number;
  elapsedMs: number;
  /** POST + GET of its job, per second. */
  pairsPerSecond: number;
  /** CPU of the client (the bench process, which does nothing else meanwhile) per pair. */
  clientCpuMsPerPair: number;
  simulatorCpuMsPerPair: number;
}

const acceptedSchema = z.object({ job: z.object({ key: z.string() }) });
const jobSchema = z.object({ key: z.string(), state: z.string() });
const authorization = `Basic ${Buffer.from('admin:admin123').toString('base64')}`;

/**
 * POSTs each write and GETs its job once, `inFlight` pairs at a time over `connections` connections, with
 * no Redis, queue or schema of ours: what this machine's undici and simulator do for the two HTTP calls
 * every request costs at least. The simulator's jobs should end at once (a duration 0 scenario).
 */
export async function measureHttpCeiling(
  simulator: SimulatorProcess,
  writes: readonly RequestInput[],
  options: { connections: number; inFlight: number },
): Promise<HttpCeiling> {
  const dispatcher = new Agent({ connections: options.connections, pipelining: 1 });
  const roles = { client: [process.pid], simulator: [simulator.service.pid ?? -1] };
  let next = 0;
  const runOne = async (write: RequestInput): Promise<void> => {
    const posted = await request(`${simulator.url}${write.path}`, {
      method: 'POST',
      dispatcher,
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify(write.body),
    });
    if (posted.statusCode !== 202) throw new Error(`POST ${write.path} answered ${posted.statusCode}`);
    const { job } = acceptedSchema.parse(await posted.body.json());
    const polled = await request(
      `${simulator.url}/api/management-server/jobs/${encodeURIComponent(job.key)}`,
      {
        dispatcher,
        headers: { authorization },
      },
    );
    if (polled.statusCode !== 200) throw new Error(`GET job ${job.key} answered ${polled.statusCode}`);
    jobSchema.parse(await polled.body.json());
  };
  const lane = async (): Promise<void> => {
    for (let index = next++; index < writes.length; index = next++) {
      const write = writes[index];
      if (write) await runOne(write);
    }
  };
  try {
    const cpuBefore = cpuByRole(roles);
    const started = performance.now();
    await Promise.all(Array.from({ length: options.inFlight }, lane));
    const elapsedMs = performance.now() - started;
    const cpu = cpuSpent(cpuBefore, cpuByRole(roles));
    const perPair = (seconds: number | undefined) => ((seconds ?? 0) * 1_000) / writes.length;
    return {
      pairs: writes.length,
      ...options,
      elapsedMs,
      pairsPerSecond: (writes.length / elapsedMs) * 1_000,
      clientCpuMsPerPair: perPair(cpu.client),
      simulatorCpuMsPerPair: perPair(cpu.simulator),
    };
  } finally {
    await dispatcher.close();
  }
}
