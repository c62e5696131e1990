import { eventSchema, type RedisConnection, type RedisKeys } from '@aiqum-jobs/contracts';
import type { Job, Queue } from 'bullmq';
import { z } from 'zod';
import { type DeliveryPayload, deliveryPayloadSchema } from './delivery-queue.js';

/** A delivery that used up its attempts, or that its receiver refused for good. */
export const deadLetterSchema = z.object({
  deliveryId: z.string().describe('`<subscriptionId>:<eventId>`: the id to replay it by'),
  subscriptionId: z.string(),
  event: eventSchema,
  attempts: z.number().int().describe('attempts made'),
  lastError: z.string().describe('why the last attempt failed, e.g. `answered 500`'),
  failedAt: z.string().describe('when the last attempt failed'),
});
export type DeadLetter = z.output<typeof deadLetterSchema>;

export interface DeadLetterPage {
  /** Dead letters of the subscription kept now. */
  total: number;
  /** Newest first. */
  deadLetters: DeadLetter[];
}

export interface DeadLettersOptions {
  redis: RedisConnection;
  keys: RedisKeys;
  /** The delivery queue, owned by the caller. */
  queue: Queue;
  /** How long dead letters are kept (as long as the queue keeps failed jobs), in seconds. */
  retentionSeconds: number;
  /** @defaultValue `Date.now` */
  now?: () => number;
}

/**
 * Dead letters are the failed jobs of the delivery queue, kept for the retention. Each subscription has an
 * index of its own (a sorted set of delivery ids by failure time) so an operator lists them page by page
 * without scanning every failure of every subscription.
 */
export class DeadLetters {
  readonly #redis: RedisConnection;
  readonly #keys: RedisKeys;
  readonly #queue: Queue;
  readonly #retentionMs: number;
  readonly #now: () => number;

  constructor(options: DeadLettersOptions) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#queue = options.queue;
    this.#retentionMs = options.retentionSeconds * 1_000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Indexes a delivery about to fail for good. Written before the job fails, so no failed job is missing
   * from the index; an entry whose job did not fail after all is skipped when listed.
   */
  async record(subscriptionId: string, deliveryId: string): Promise<void> {
    const key = this.#keys.webhookDeadLetters(subscriptionId);
    await this.#redis.multi().zadd(key, this.#now(), deliveryId).pexpire(key, this.#retentionMs).exec();
  }

  async list(subscriptionId: string, page: { offset: number; limit: number }): Promise<DeadLetterPage> {
    const key = this.#keys.webhookDeadLetters(subscriptionId);
    await this.#redis.zremrangebyscore(key, '-inf', this.#now() - this.#retentionMs);
    const [total, ids] = await Promise.all([
      this.#redis.zcard(key),
      this.#redis.zrevrange(key, page.offset, page.offset + page.limit - 1),
    ]);
    const found = await Promise.all(ids.map((id) => this.#failedJob(subscriptionId, id)));
    return { total, deadLetters: found.filter((letter) => letter !== undefined).map(deadLetterOf) };
  }

  /**
   * Queues a dead letter again with a fresh set of attempts and takes it off the list. False when the
   * subscription has no such dead letter.
   */
  async replay(subscriptionId: string, deliveryId: string): Promise<boolean> {
    const key = this.#keys.webhookDeadLetters(subscriptionId);
    if ((await this.#redis.zscore(key, deliveryId)) === null) return false;
    const failed = await this.#failedJob(subscriptionId, deliveryId);
    if (!failed) return false;
    await failed.job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    await this.#redis.zrem(key, deliveryId);
    return true;
  }

  /** The failed job of a dead letter; an index entry whose job is gone is dropped. */
  async #failedJob(subscriptionId: string, deliveryId: string): Promise<FailedDelivery | undefined> {
    const state = await this.#queue.getJobState(deliveryId);
    if (state !== 'failed' && state !== 'unknown') return undefined;
    // Read once failed: a job read before its last attempt ended would lack that attempt and its error.
    const job = state === 'failed' ? await this.#queue.getJob(deliveryId) : undefined;
    const parsed = job ? deliveryPayloadSchema.safeParse(job.data) : undefined;
    if (!job || !parsed?.success || parsed.data.subscriptionId !== subscriptionId) {
      await this.#redis.zrem(this.#keys.webhookDeadLetters(subscriptionId), deliveryId);
      return undefined;
    }
    return { deliveryId, job, payload: parsed.data };
  }
}

interface FailedDelivery {
  deliveryId: string;
  job: Job;
  payload: DeliveryPayload;
}

function deadLetterOf({ deliveryId, job, payload }: FailedDelivery): DeadLetter {
  return {
    deliveryId,
    subscriptionId: payload.subscriptionId,
    event: payload.event,
    attempts: job.attemptsMade,
    lastError: job.failedReason,
    failedAt: new Date(job.finishedOn ?? 0).toISOString(),
  };
}
