import { readFileSync } from 'node:fs';
import {
  type BatchRequestInput,
  createRedisKeys,
  type RequestCompletedEvent,
  requestErrorCodes,
} from '@aiqum-jobs/contracts';
import { createRequestQueue } from '@aiqum-jobs/core';
import { lunRequest, waitUntil } from '@aiqum-jobs/test-support';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SimulatorReader } from '../src/ground-truth.js';
import { guaranteesKept, PipelineUnderTest, type ServiceProcess, WorkerKiller } from '../src/index.js';

/**
 * Order within a batch under worker crashes, with real worker processes: chains whose workers are frozen
 * (SIGSTOP) at a moment when a completion has released dependants that nobody queued or skipped yet, then
 * SIGKILLed. Nothing else would ever queue those dependants: the sweep of the new workers must. Every request
 * still ends exactly once, never before its dependency ended, and nothing reaches AIQUM twice.
 */

// The bounded run is part of `npm test`; `AIQUM_JOBS_SOAK=1` runs a larger one.
const soak = process.env.AIQUM_JOBS_SOAK === '1';
const chains = soak ? 40 : 16;
const chainLength = soak ? 20 : 10;
const killRounds = soak ? 12 : 3;
/** The chains whose request at `failingStep` fails in AIQUM: their later requests are skipped. */
const failingChains = new Set([0, 1]);
const failingStep = 3;
const workerCount = 2;

const refOf = (chain: number, step: number) => `c${chain}_${step}`;

let pipeline: PipelineUnderTest;
let redis: Redis;
let queue: Queue;
let reader: SimulatorReader;

beforeAll(async () => {
  pipeline = await PipelineUnderTest.start({
    workers: workerCount,
    target: { limits: { maxConcurrent: 40, maxPerSecond: 2_000 } },
    simulator: {
      tls: true,
      scenario: {
        rules: [
          {
            match: { method: 'POST', body: { name: 'err_*' } },
            job: { durationMs: { min: 100, max: 400 }, outcomes: { ERROR: 1 }, message: 'aggregate is full' },
          },
          // Calls in flight at the kills, and jobs short enough that completions come many a second.
          {
            match: { method: 'POST' },
            job: { durationMs: { min: 50, max: 400 } },
            faults: { latencyMs: { min: 10, max: 80 } },
          },
        ],
      },
    },
  });
  redis = new Redis(pipeline.redis.url, { maxRetriesPerRequest: null });
  queue = createRequestQueue({ connection: redis, prefix: pipeline.prefix, retentionSeconds: 3_600 });
  reader = new SimulatorReader(pipeline.simulator);
}, 60_000);
afterAll(async () => {
  reader.close();
  await queue.close();
  redis.disconnect();
  await pipeline.close();
});

/** Whether the process is stopped (SIGSTOP took effect): state `T` in /proc. */
function stopped(worker: ServiceProcess): boolean {
  const stat = readFileSync(`/proc/${worker.pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
}

/** Released dependants nobody handled: queued in the record but not in the queue, or marked to skip. */
async function releasedUnhandled(): Promise<{ toQueue: string[]; toSkip: string[] }> {
  const keys = createRedisKeys(pipeline.prefix);
  const ids = await redis.zrange(keys.releasedDependants, 0, -1);
  const toQueue: string[] = [];
  const toSkip: string[] = [];
  for (const id of ids) {
    const [status, skipBecause] = await redis.hmget(keys.request(id), 'status', 'skipBecause');
    if (status === 'waiting' && skipBecause) toSkip.push(id);
    if (status === 'queued' && (await queue.getJob(id)) === undefined) toQueue.push(id);
  }
  return { toQueue, toSkip };
}

interface Kill {
  toQueue: string[];
  toSkip: string[];
  /** Submissions the killed workers were running. */
  inFlight: string[];
}

/**
 * Freezes every worker until one freeze finds released dependants nobody handled (a completion ran, its
 * release did not), then SIGKILLs them all and starts as many new ones. Those dependants are left to the
 * sweep: no live process knows of them.
 */
async function killWhileReleasesPending(): Promise<Kill> {
  // Bounded in time, not in tries: on a loaded machine a try takes longer, and chains whose write a kill cut
  // wait for its reconciliation (a claim lease) before they complete again.
  const giveUpAt = Date.now() + 60_000;
  while (Date.now() < giveUpAt) {
    const workers = pipeline.workers.filter((worker) => worker.running);
    for (const worker of workers) worker.signal('SIGSTOP');
    await waitUntil(() => workers.every(stopped), {
      timeoutMs: 5_000,
      intervalMs: 1,
      what: 'workers stopped',
    });
    // Whatever they had written to their sockets has run by now.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const pending = await releasedUnhandled();
    if (pending.toQueue.length + pending.toSkip.length > 0) {
      const names = new Set(workers.map(WorkerKiller.workerName));
      const inFlight = (await queue.getActive())
        .filter((job) => names.has(job.processedBy ?? ''))
        .map((job) => job.id ?? '');
      for (const worker of workers) worker.signal('SIGKILL');
      await Promise.all(workers.map((worker) => worker.exited));
      for (const _ of workers) await pipeline.startWorker();
      return { ...pending, inFlight };
    }
    for (const worker of workers) worker.signal('SIGCONT');
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 30));
  }
  throw new Error('no freeze of the workers found a release pending: are the chains running?');
}

const jobsSchema = z.object({
  records: z.array(z.object({ submitTime: z.iso.datetime(), endTime: z.iso.datetime() })),
});

describe('order within a batch under worker crashes', () => {
  it(`runs ${chains} chains of ${chainLength} in order, exactly once, while workers are killed ${killRounds} times with releases pending`, async () => {
    const requests: BatchRequestInput[] = [];
    for (let chain = 0; chain < chains; chain += 1) {
      for (let step = 0; step < chainLength; step += 1) {
        const failing = failingChains.has(chain) && step === failingStep;
        requests.push({
          ...lunRequest(`${failing ? 'err' : 'lun'}_${refOf(chain, step)}`, {
            svm: chain % 2 ? 'vs1' : 'vs2',
          }),
          ref: refOf(chain, step),
          ...(step === 0 ? {} : { dependsOn: [refOf(chain, step - 1)] }),
        });
      }
    }
    const { batchId, requestIds } = await pipeline.submitBatch(requests);
    const idOf = (chain: number, step: number) => requestIds[chain * chainLength + step] ?? '';

    const kills: Kill[] = [];
    for (let round = 0; round < killRounds; round += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 500));
      kills.push(await killWhileReleasesPending());
    }
    await pipeline.waitForBatch(batchId, soak ? 300_000 : 120_000);

    const report = await pipeline.report(batchId, requestIds);
    const leftToQueue = new Set(kills.flatMap((kill) => kill.toQueue));
    const leftToSkip = new Set(kills.flatMap((kill) => kill.toSkip));
    const inFlightAtKill = new Set(kills.flatMap((kill) => kill.inFlight));
    console.info(
      `dependency crashes: ${JSON.stringify({ kills: kills.map((kill) => ({ toQueue: kill.toQueue.length, toSkip: kill.toSkip.length, inFlight: kill.inFlight.length })), ...report })}`,
    );
    expect(report).toMatchObject(guaranteesKept(requestIds.length));
    expect(leftToQueue.size + leftToSkip.size).toBeGreaterThanOrEqual(killRounds);
    // Everything left released was handled: by the sweep, the only one left to do it.
    expect(await redis.zcard(createRedisKeys(pipeline.prefix).releasedDependants)).toBe(0);

    const completed = new Map<string, RequestCompletedEvent>();
    for (const event of await pipeline.events({ types: ['request.completed'], batchId })) {
      completed.set(event.requestId, event);
    }
    const truths = new Map<string, Array<{ submitTime: number; endTime: number }>>();
    for (const id of requestIds) {
      const { records } = jobsSchema.parse(await reader.get(`/_sim/jobs?correlation_id=${id}`));
      truths.set(
        id,
        records.map((job) => ({ submitTime: Date.parse(job.submitTime), endTime: Date.parse(job.endTime) })),
      );
    }
    const problems: string[] = [];
    for (let chain = 0; chain < chains; chain += 1) {
      for (let step = 0; step < chainLength; step += 1) {
        const id = idOf(chain, step);
        const event = completed.get(id);
        const jobs = truths.get(id) ?? [];
        const where = `${refOf(chain, step)} (${id})`;
        if (event === undefined) continue; // counted as lost by the report
        if (jobs.length > 1) problems.push(`${where}: ${jobs.length} jobs in AIQUM`);
        if (event.outcome === 'unknown' && !inFlightAtKill.has(id)) {
          problems.push(`${where}: unknown (${event.error?.code}) but not in flight at a kill`);
        }
        if (failingChains.has(chain) && step === failingStep && event.outcome !== 'failed') {
          problems.push(`${where}: its job failed, it ended ${event.outcome}`);
        }
        if (step === 0) continue;
        const dependency = completed.get(idOf(chain, step - 1));
        if (dependency?.outcome !== 'succeeded') {
          // A dependency that did not succeed skips its dependant, which never reaches AIQUM.
          if (event.outcome !== 'skipped' || event.error?.code !== requestErrorCodes.dependencyFailed) {
            problems.push(`${where}: dependency ended ${dependency?.outcome}, it ended ${event.outcome}`);
          }
          if (jobs.length > 0) problems.push(`${where}: skipped, yet it reached AIQUM`);
          continue;
        }
        if (event.outcome === 'skipped') problems.push(`${where}: skipped after its dependency succeeded`);
        const [dependencyJob] = truths.get(idOf(chain, step - 1)) ?? [];
        for (const job of jobs) {
          if (dependencyJob === undefined || job.submitTime < dependencyJob.endTime) {
            problems.push(`${where}: its job was submitted before its dependency's job ended`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    // The dependants a kill left for the sweep ran (or were skipped) all the same.
    for (const id of leftToQueue) expect(completed.get(id)?.outcome).not.toBe('skipped');
    for (const id of leftToSkip) expect(completed.get(id)?.outcome).toBe('skipped');
    const reachedAiqum = [...leftToQueue].filter((id) => (truths.get(id)?.length ?? 0) === 1).length;
    expect(
      reachedAiqum + [...leftToQueue].filter((id) => completed.get(id)?.outcome === 'unknown').length,
    ).toBe(leftToQueue.size);
  }, 360_000);
});
