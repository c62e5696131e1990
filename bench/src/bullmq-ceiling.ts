import { randomBytes } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

/** Raw BullMQ: add `count` trivial jobs with addBulk and process them with a no-op processor. */
export interface BullmqCeiling {
  jobs: number;
  concurrency: number;
  elapsedMs: number;
  jobsPerSecond: number;
}

const addBulkLimit = 10_000;

/**
 * The most this machine's Redis and BullMQ do for trivial jobs, on the same Redis as the pipeline: the
 * ceiling our pipeline is measured against. Completed jobs are removed at once, as BullMQ's own
 * benchmarks do. The worker runs in the bench process (it has nothing else to do meanwhile).
 */
export async function measureBullmqCeiling(
  url: string,
  count: number,
  concurrency: number,
): Promise<BullmqCeiling> {
  const prefix = `{bullmq-ceiling-${randomBytes(4).toString('hex')}}`;
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  // BullMQ leaves connections it is given open: both are closed below.
  const workerConnection = connection.duplicate();
  const queue = new Queue('ceiling', { connection, prefix });
  let completed = 0;
  let allDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  const worker = new Worker('ceiling', async () => undefined, {
    connection: workerConnection,
    prefix,
    concurrency,
    autorun: false,
  });
  worker.on('completed', () => {
    completed += 1;
    if (completed === count) allDone();
  });
  try {
    await worker.waitUntilReady();
    const started = performance.now();
    void worker.run();
    for (let start = 0; start < count; start += addBulkLimit) {
      const size = Math.min(addBulkLimit, count - start);
      await queue.addBulk(
        Array.from({ length: size }, (_, index) => ({
          name: 'noop',
          data: { index: start + index },
          opts: { removeOnComplete: true },
        })),
      );
    }
    await finished;
    const elapsedMs = performance.now() - started;
    return { jobs: count, concurrency, elapsedMs, jobsPerSecond: (count / elapsedMs) * 1000 };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
    workerConnection.disconnect();
  }
}
