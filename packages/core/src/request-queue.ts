import { Queue, type QueueOptions } from 'bullmq';
import type { RedisConnection } from './lua-script.js';
import { requestSpecSchema } from './request-spec.js';

/**
 * The one BullMQ queue of the pipeline. Each request is one job (job id = request id) that steps through
 * submission and every poll: between polls it waits as a delayed job in Redis, so it holds no worker slot,
 * and there is never more than one scheduled poll per request.
 */
export const requestQueueName = 'requests';

/** The catalog of queue payloads: one job name, one schema, parsed by producer and worker alike. */
export const queuePayloads = {
  request: requestSpecSchema,
} as const;

export type RequestJobName = keyof typeof queuePayloads;

export interface RequestQueueOptions {
  connection: RedisConnection;
  /** The deployment's hash-tagged prefix; BullMQ keys become `<prefix>:requests:*`. */
  prefix: string;
  retentionSeconds: number;
}

/** Job options every request job gets. Attempts cover infrastructure failures only (Redis, crashes). */
export function requestJobOptions(retentionSeconds: number) {
  return {
    attempts: 8,
    backoff: { type: 'exponential' as const, delay: 1_000 },
    removeOnComplete: { age: retentionSeconds },
    removeOnFail: { age: retentionSeconds },
  };
}

export function createRequestQueue(options: RequestQueueOptions): Queue {
  const queueOptions: QueueOptions = {
    connection: options.connection,
    prefix: options.prefix,
    defaultJobOptions: requestJobOptions(options.retentionSeconds),
  };
  return new Queue(requestQueueName, queueOptions);
}
