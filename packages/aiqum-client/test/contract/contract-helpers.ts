import {
  type Simulator,
  type SimulatorOptions,
  type SimulatorUser,
  startSimulator,
} from '@aiqum-jobs/aiqum-simulator';
import { Agent, request } from 'undici';
import { z } from 'zod';
import { AiqumClient, type AiqumClientOptions, type JobRef, type JobSnapshot } from '../../src/index.js';
import { checkSpecContractInThisFile, watchSimulator } from './spec-contract-check.js';

// Every contract test file imports this module: each answer its simulators give is checked against the
// AIQUM API specification, and a test fails on any mismatch.
checkSpecContractInThisFile();

export const gib = 1024 ** 3;

/** Short waits so the suite stays fast; the deadline only guards against a hung job. */
export const quickWait = { initialDelayMs: 50, multiplier: 1.5, maxDelayMs: 200, deadlineMs: 15_000 };

/** Real time plus an offset a test can move forward, shared by a simulator and the test. */
export interface AdjustableClock {
  now: () => number;
  advance: (ms: number) => void;
}

export function adjustableClock(): AdjustableClock {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance: (ms) => {
      offset += ms;
    },
  };
}

/**
 * A simulator over HTTPS (its own CA) unless the test says otherwise, whose answers are checked against the
 * specification (its jobs against the docs page's vocabulary when started with the `docs` dialect).
 */
export async function startHttpsSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await startSimulator({ tls: true, ...options });
  watchSimulator(sim.url, options.dialect === 'docs' ? 'docs' : 'spec');
  return sim;
}

export function userOf(sim: Simulator, username: string): SimulatorUser {
  const user = sim.users.find((candidate) => candidate.username === username);
  if (!user) throw new Error(`simulator has no user ${username}`);
  return user;
}

export function caOf(sim: Simulator): string {
  if (sim.caPem === undefined) throw new Error('simulator runs without TLS');
  return sim.caPem;
}

/** A real client for `sim`, trusting its CA, logged in as the application administrator. */
export function clientFor(sim: Simulator, overrides: Partial<AiqumClientOptions> = {}): AiqumClient {
  const admin = userOf(sim, 'admin');
  return new AiqumClient({
    baseUrl: sim.url,
    username: admin.username,
    password: admin.password,
    ca: caOf(sim),
    ...overrides,
  });
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

export const keyedRecord = z.looseObject({ key: z.string(), name: z.string() });

/** The one record a name filter must find. */
export async function findOne(client: AiqumClient, path: string, name: string): Promise<{ key: string }> {
  const found = await collect(client.list(path, { filters: { name }, schema: keyedRecord }));
  if (found.length !== 1 || found[0] === undefined) {
    throw new Error(`expected one record named ${name} at ${path}, got ${found.length}`);
  }
  return found[0];
}

/** The references a LUN POST takes, as keys. */
export type LunReferences = {
  svm: { key: string };
  performance_service_level: { key: string };
};

/**
 * Writes take references by key (SPEC); like NetApp's clients, look each one up by name first.
 */
export async function lunReferences(
  sim: Simulator,
  names: { svm: string; psl: string } = { svm: 'vs1', psl: 'Value' },
): Promise<LunReferences> {
  await using client = clientFor(sim);
  const svm = await findOne(client, '/api/datacenter/svm/svms', names.svm);
  const psl = await findOne(client, '/api/storage-provider/performance-service-levels', names.psl);
  return { svm: { key: svm.key }, performance_service_level: { key: psl.key } };
}

export function resultOf(snapshot: JobSnapshot, name: string): string | undefined {
  return snapshot.results.find((result) => result.name === name)?.value;
}

/** The JobRef a caller would rebuild from a job key it learnt elsewhere (e.g. the simulator's ground truth). */
export function aiqumJobRef(key: string): JobRef {
  return {
    kind: 'aiqum',
    key,
    href: `/api/management-server/jobs/${encodeURIComponent(key)}`,
    source: 'job.key',
  };
}

const groundTruthSchema = z.object({
  records: z.array(
    z.looseObject({
      id: z.string(),
      correlationId: z.string().nullable(),
      processed: z.literal(true),
      settled: z.boolean(),
      outcome: z.string().nullable(),
      applied: z.boolean(),
      responseFault: z.string().nullable(),
    }),
  ),
});

export type GroundTruth = z.output<typeof groundTruthSchema>['records'][number];

/** What the simulator really did with writes carrying `correlationId` (its admin API, outside the client). */
export async function groundTruth(sim: Simulator, correlationId: string): Promise<GroundTruth[]> {
  const admin = userOf(sim, 'admin');
  const dispatcher = new Agent({ connect: { ca: caOf(sim) } });
  try {
    const answer = await request(`${sim.url}/_sim/jobs?correlation_id=${encodeURIComponent(correlationId)}`, {
      dispatcher,
      headers: {
        authorization: `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString('base64')}`,
      },
    });
    if (answer.statusCode !== 200) throw new Error(`/_sim/jobs answered ${answer.statusCode}`);
    return groundTruthSchema.parse(await answer.body.json()).records;
  } finally {
    await dispatcher.close();
  }
}
