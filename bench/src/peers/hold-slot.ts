import { randomBytes } from 'node:crypto';
import type { AiqumClient } from '@aiqum-jobs/aiqum-client';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { z } from 'zod';
import type { PeerConfig, PeerResult } from './peer-config.js';
import { counts } from './poll-loop.js';
import { PeerTally, submitAndPoll } from './submit-and-poll.js';

const jobDataSchema = z.object({ index: z.number().int() });

/**
 * Peer (b): the common BullMQ pattern: one queue job per call, whose processor submits it and then polls
 * every second in a loop, holding its worker slot until the AIQUM job ends.
 */
export async function runHoldSlot(config: PeerConfig, client: AiqumClient): Promise<PeerResult> {
  const tally = new PeerTally();
  const signal = AbortSignal.timeout(config.capMs);
  const prefix = `{bench-hold-slot-${randomBytes(4).toString('hex')}}`;
  const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const workerConnection = connection.duplicate();
  const queue = new Queue('calls', { connection, prefix });
  let settled = 0;
  let allSettled: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    allSettled = resolve;
  });
  const worker = new Worker(
    'calls',
    async (job) => {
      const { index } = jobDataSchema.parse(job.data);
      await submitAndPoll(client, `hold_slot_${index}`, index, config.pollIntervalMs, tally, signal);
    },
    { connection: workerConnection, prefix, concurrency: config.concurrency, autorun: false },
  );
  const settle = () => {
    settled += 1;
    if (settled === config.jobs) allSettled();
  };
  worker.on('completed', settle);
  worker.on('failed', settle);
  signal.addEventListener('abort', allSettled, { once: true });
  const started = performance.now();
  try {
    await queue.addBulk(
      Array.from({ length: config.jobs }, (_, index) => ({
        name: 'call',
        data: { index },
        opts: { attempts: 1 },
      })),
    );
    void worker.run();
    await finished;
    return { kind: 'hold-slot', elapsedMs: performance.now() - started, ...counts(tally) };
  } finally {
    await worker.close(true);
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
    workerConnection.disconnect();
  }
}
