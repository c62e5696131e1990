import { randomBytes } from 'node:crypto';
import { DelayedError, type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { z } from 'zod';
import type { BenchRedis } from './bench-redis.js';
import { commandCounts, commandDelta, totalCalls } from './redis-stats.js';
import { RoundTripCounter } from './round-trip-counter.js';

const stepDataSchema = z.object({ step: z.number().int() });

export interface StepJobBaseline {
  jobs: number;
  /** Commands clients sent, per job (producer add + worker), a Lua script counting as one. */
  roundTripsPerJob: number;
  roundTripsByRole: Record<string, number>;
  /** INFO commandstats delta per job (commands run inside scripts included). */
  commandsPerJob: number;
}

/**
 * The plain BullMQ way to track an asynchronous call, as BullMQ documents step jobs: the processor does a
 * step, saves the next step with `updateData`, `moveToDelayed` and throws `DelayedError`; here each job is
 * delayed twice (submit, a poll that finds the job running, a poll that finds it done). Measured with
 * MONITOR and INFO commandstats, like the pipeline.
 */
export async function measureStepJobBaseline(
  redis: BenchRedis,
  count: number,
  delayMs: number,
): Promise<StepJobBaseline> {
  const prefix = `{bullmq-steps-${randomBytes(4).toString('hex')}}`;
  const producerConnection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const workerConnection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue('steps', { connection: producerConnection, prefix });
  let completed = 0;
  let allDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  const worker = new Worker(
    'steps',
    async (job: Job, token?: string) => {
      const { step } = stepDataSchema.parse(job.data);
      if (step < 2) {
        await job.updateData({ step: step + 1 });
        await job.moveToDelayed(Date.now() + delayMs, token);
        throw new DelayedError();
      }
    },
    { connection: workerConnection, prefix, concurrency: 50, autorun: false },
  );
  worker.on('completed', () => {
    completed += 1;
    if (completed === count) allDone();
  });
  try {
    await worker.waitUntilReady();
    await queue.waitUntilReady();
    const producerPort = producerConnection.stream?.localPort ?? -1;
    const adminPort = redis.admin.stream?.localPort ?? -1;
    const before = await commandCounts(redis.admin);
    const counter = await RoundTripCounter.start(
      redis.url,
      new Map([
        [producerPort, 'producer'],
        [adminPort, 'ignored'],
      ]),
      'worker',
    );
    void worker.run();
    await queue.addBulk(
      Array.from({ length: count }, (_, index) => ({
        name: 'step',
        data: { step: 0 },
        opts: { jobId: `j${index}` },
      })),
    );
    await finished;
    const trips = counter.stop();
    const commands = totalCalls(commandDelta(before, await commandCounts(redis.admin)));
    const roundTrips = Object.values(trips.byRole).reduce((sum, n) => sum + n, 0);
    return {
      jobs: count,
      roundTripsPerJob: roundTrips / count,
      roundTripsByRole: Object.fromEntries(
        Object.entries(trips.byRole).map(([role, n]) => [role, n / count]),
      ),
      commandsPerJob: commands / count,
    };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    producerConnection.disconnect();
    workerConnection.disconnect();
  }
}
