import { type RedisConnection, requestSpecSchema } from '@aiqum-jobs/contracts';
import { Queue, type QueueOptions } from 'bullmq';
import { z } from 'zod';

/**
 * The one BullMQ queue of the pipeline: each request's submission is one job (job id = request id). Once
 * AIQUM accepted it, the request's Job is tracked in its target's due set (see `PollSchedule.claim`), not here.
 */
export const requestQueueName = 'requests';

/**
 * A request's submission as its queue job carries it: the spec, and for a request with a retry policy from
 * its second attempt on, which attempt it is (each attempt is a queue job of its own, see `submissionJobId`).
 */
const submissionPayloadSchema = requestSpecSchema.extend({ attempt: z.number().int().min(2).optional() });
export type SubmissionPayload = z.output<typeof submissionPayloadSchema>;

/** The catalog of queue payloads: one job name, one schema, parsed by producer and worker alike. */
export const queuePayloads = {
  request: submissionPayloadSchema,
} as const;

/** The queue job id of a request's attempt: the request id for the first, then `<id>-<attempt>`. */
export function submissionJobId(requestId: string, attempt = 1): string {
  return attempt === 1 ? requestId : `${requestId}-${attempt}`;
}

/**
 * The queue job of a request's attempt (the first unless `attempt` says otherwise), as `Queue.add` and
 * `Queue.addBulk` take it: the one place its name, payload and id are put together.
 */
export function submissionJob(spec: SubmissionPayload) {
  return {
    name: 'request' as const,
    data: queuePayloads.request.parse(spec),
    opts: { jobId: submissionJobId(spec.requestId, spec.attempt) },
  };
}

export type RequestJobName = keyof typeof queuePayloads;

export interface RequestQueueOptions {
  connection: RedisConnection;
  /** The deployment's hash-tagged prefix; BullMQ keys become `<prefix>:requests:*`. */
  prefix: string;
  retentionSeconds: number;
}

/**
 * Job options every request job gets. A queue job only carries a submission: once it is done the request
 * record and its events hold everything, so the job goes at once (a failed one stays for the retention, for
 * whoever investigates). Attempts cover infrastructure failures only (Redis, crashes).
 */
export function requestJobOptions(retentionSeconds: number) {
  return {
    attempts: 8,
    backoff: { type: 'exponential' as const, delay: 1_000 },
    removeOnComplete: true,
    removeOnFail: { age: retentionSeconds },
  };
}

export function createRequestQueue(options: RequestQueueOptions): Queue {
  const queueOptions: QueueOptions = {
    connection: options.connection,
    prefix: options.prefix,
    defaultJobOptions: requestJobOptions(options.retentionSeconds),
    // BullMQ's own event stream is not read (completion events are ours): keep it short, not 10,000 long.
    streams: { events: { maxLen: 1_000 } },
  };
  return new Queue(requestQueueName, queueOptions);
}
