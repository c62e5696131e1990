import {
  isoTime,
  type RequestOutcome,
  type RequestSpec,
  requestOutcomeSchema,
  requestOutcomes,
  requestStatusSchema,
  type StoredBatch,
  type StoredRequest,
} from '@aiqum-jobs/contracts';
import { z } from 'zod';
import { jsonText } from './json-text.js';
import {
  decodeRequestRecord,
  decodeRequestState,
  decodeSpecWithBody,
  type RequestState,
  requestStateFields,
} from './request-record-codec.js';
import { createRequestsScript } from './request-scripts.js';
import type { RequestStoreContext } from './request-store-context.js';

const batchHashSchema = z.object({
  total: z.coerce.number().int(),
  done: z.coerce.number().int().default(0),
  tracking: z.coerce.number().int().default(0),
  waiting: z.coerce.number().int().default(0),
  createdAt: z.coerce.number().int(),
  finishedAt: z.coerce.number().int().optional(),
  metadata: jsonText(
    z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  ).optional(),
  submittedBy: z.string().min(1).optional(),
});

const releasedStateSchema = z.object({
  status: requestStatusSchema,
  /** The dependency whose outcome skips this request (set by the completion that released it). */
  skipBecause: jsonText(z.object({ requestId: z.string(), outcome: requestOutcomeSchema })).optional(),
});
export type ReleasedState = z.output<typeof releasedStateSchema>;

/** The request and batch records as producers write and read them. */
export class RequestRecords {
  readonly #context: RequestStoreContext;

  constructor(context: RequestStoreContext) {
    this.#context = context;
  }

  /**
   * Stores new requests, and their batch when there is one, in one script: one atomic step and one
   * command for the whole batch. A request record lives until its deadline plus the retention, so an
   * abandoned one cannot stay forever.
   */
  async create(
    specs: readonly RequestSpec[],
    batch?: { batchId: string; metadata?: unknown; submittedBy?: string | undefined },
  ): Promise<void> {
    const { keys } = this.#context;
    const now = this.#context.now();
    let batchFields = '';
    let batchTtlSeconds = 0;
    const ordered = specs.some((spec) => spec.dependsOn !== undefined);
    const batchKeys: { batch?: string; batchRequests?: string } = {};
    if (batch) {
      const fields: Record<string, string | number> = {
        total: specs.length,
        done: 0,
        tracking: 0,
        waiting: specs.filter((spec) => spec.dependsOn !== undefined).length,
        createdAt: now,
        createdAtIso: isoTime(now),
      };
      if (batch.metadata !== undefined) fields.metadata = JSON.stringify(batch.metadata);
      if (batch.submittedBy !== undefined) fields.submittedBy = batch.submittedBy;
      batchFields = JSON.stringify(fields);
      batchTtlSeconds = this.#ttlUntil(Math.max(...specs.map((spec) => spec.deadlineAt)));
      batchKeys.batch = keys.batch(batch.batchId);
      batchKeys.batchRequests = keys.batchRequests(batch.batchId);
    }
    // The body is kept apart from the record (views never show it; the worker reads it from the queue job):
    // a retry reads it back with `getSpec`.
    // In a batch with dependencies every record lives as long as the batch: a dependant may wait for a
    // dependency whose deadline is later than its own.
    const requests = specs.map((spec) => {
      const { body, ...withoutBody } = spec;
      return [
        spec.requestId,
        JSON.stringify(withoutBody),
        ordered ? batchTtlSeconds : this.#ttlUntil(spec.deadlineAt),
        body === undefined ? '' : JSON.stringify(body),
        spec.retryOf ?? '',
        (spec.dependsOn ?? []).map((dependency) => dependency.requestId),
        spec.proceedOnWarning === true ? '1' : '',
      ];
    });
    const retried = specs.flatMap((spec) =>
      spec.retryOf === undefined ? [] : [keys.request(spec.retryOf), keys.requestRetries(spec.retryOf)],
    );
    await createRequestsScript.run(this.#context.redis, {
      keys: batchKeys,
      keyList: [
        ...specs.map((spec) => keys.request(spec.requestId)),
        ...specs.map((spec) => keys.requestBody(spec.requestId)),
        ...retried,
      ],
      args: {
        batchFields,
        batchTtlSeconds,
        requests: JSON.stringify(requests),
        requestKeyPrefix: keys.request(''),
      },
    });
  }

  /**
   * Undoes `create` when the queue refused the jobs, so nothing half-stored is left behind: the records,
   * their bodies, the batch, and a retry's place in its original's list.
   */
  async remove(
    requests: readonly Pick<RequestSpec, 'requestId' | 'retryOf'>[],
    batchId?: string,
  ): Promise<void> {
    const { keys } = this.#context;
    const doomed = requests.flatMap(({ requestId }) => [
      keys.request(requestId),
      keys.requestBody(requestId),
      keys.requestDependants(requestId),
    ]);
    if (batchId) doomed.push(keys.batch(batchId), keys.batchRequests(batchId));
    // One transaction (the keys share the prefix's hash slot) whose failure rejects: a pipeline would
    // resolve with its commands' errors, and the caller would never hear of it.
    const transaction = this.#context.redis.multi().del(...doomed);
    for (const { requestId, retryOf } of requests) {
      if (retryOf !== undefined) transaction.lrem(keys.requestRetries(retryOf), 0, requestId);
    }
    const results = (await transaction.exec()) ?? [];
    for (const [error] of results) if (error) throw error;
  }

  /**
   * The specs requests were created with, bodies included (for retries), in one round trip; undefined for a
   * request whose record is gone, or whose body was not kept (a record older than the kept bodies).
   */
  async getSpecs(requestIds: readonly string[]): Promise<Array<RequestSpec | undefined>> {
    if (requestIds.length === 0) return [];
    const { keys, redis } = this.#context;
    const pipeline = redis.pipeline();
    for (const id of requestIds) pipeline.hget(keys.request(id), 'spec').get(keys.requestBody(id));
    const results = (await pipeline.exec()) ?? [];
    return requestIds.map((_id, index) => {
      const [specError, specText] = results[2 * index] ?? [];
      const [bodyError, bodyText] = results[2 * index + 1] ?? [];
      if (specError) throw specError;
      if (bodyError) throw bodyError;
      if (typeof specText !== 'string' || typeof bodyText !== 'string') return undefined;
      return decodeSpecWithBody(specText, bodyText);
    });
  }

  /** The ids of the requests that retry each of `requestIds`, newest last, in one round trip. */
  async retriesOf(requestIds: readonly string[]): Promise<string[][]> {
    if (requestIds.length === 0) return [];
    const pipeline = this.#context.redis.pipeline();
    for (const id of requestIds) pipeline.lrange(this.#context.keys.requestRetries(id), 0, -1);
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, ids]) => {
      if (error) throw error;
      return z.array(z.string()).parse(ids);
    });
  }

  async get(requestId: string): Promise<StoredRequest | undefined> {
    const hash = await this.#context.redis.hgetall(this.#context.keys.request(requestId));
    return decodeRequestRecord(hash);
  }

  /** The state of a request, read and parsed without its spec; undefined when the record is gone. */
  async getState(requestId: string): Promise<RequestState | undefined> {
    const values = await this.#context.redis.hmget(
      this.#context.keys.request(requestId),
      ...requestStateFields,
    );
    return decodeRequestState(values);
  }

  async getMany(requestIds: readonly string[]): Promise<Array<StoredRequest | undefined>> {
    if (requestIds.length === 0) return [];
    const pipeline = this.#context.redis.pipeline();
    for (const id of requestIds) pipeline.hgetall(this.#context.keys.request(id));
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, hash]) => {
      if (error) throw error;
      return decodeRequestRecord(hash as Record<string, string>);
    });
  }

  async getBatch(batchId: string): Promise<StoredBatch | undefined> {
    const hash = await this.#context.redis.hgetall(this.#context.keys.batch(batchId));
    if (Object.keys(hash).length === 0) return undefined;
    const batch = batchHashSchema.parse(hash);
    const byOutcome = Object.fromEntries(
      requestOutcomes.map((outcome) => [outcome, Number(hash[`count:${outcome}`] ?? 0)]),
    ) as Record<RequestOutcome, number>;
    const view: StoredBatch = {
      batchId,
      total: batch.total,
      byStatus: {
        waiting: batch.waiting,
        pending: batch.total - batch.done - batch.tracking - batch.waiting,
        tracking: batch.tracking,
        completed: batch.done,
      },
      byOutcome,
      done: batch.done >= batch.total,
      createdAt: batch.createdAt,
    };
    if (batch.finishedAt !== undefined) view.finishedAt = batch.finishedAt;
    if (batch.metadata !== undefined) view.metadata = batch.metadata;
    if (batch.submittedBy !== undefined) view.submittedBy = batch.submittedBy;
    return view;
  }

  /** Request ids of a batch in submission order, a page at a time. */
  async listBatchRequestIds(batchId: string, offset: number, limit: number): Promise<string[]> {
    return this.#context.redis.lrange(this.#context.keys.batchRequests(batchId), offset, offset + limit - 1);
  }

  /** Up to `limit` ids of the released set (requests to queue or skip), longest there first. */
  async listReleased(limit: number): Promise<string[]> {
    return this.#context.redis.zrange(this.#context.keys.releasedDependants, 0, limit - 1);
  }

  /** Where released requests stand: queued (to be put in the queue), or waiting with the dependency that failed. */
  async releasedStates(requestIds: readonly string[]): Promise<Array<ReleasedState | undefined>> {
    if (requestIds.length === 0) return [];
    const pipeline = this.#context.redis.pipeline();
    for (const id of requestIds) pipeline.hmget(this.#context.keys.request(id), 'status', 'skipBecause');
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, values]) => {
      if (error) throw error;
      const [status, skipBecause] = z.array(z.string().nullable()).parse(values);
      if (status === null || status === undefined) return undefined;
      return releasedStateSchema.parse({ status, skipBecause: skipBecause ?? undefined });
    });
  }

  /** Takes requests out of the released set, once they are queued or skipped. */
  async removeReleased(requestIds: readonly string[]): Promise<void> {
    if (requestIds.length > 0)
      await this.#context.redis.zrem(this.#context.keys.releasedDependants, ...requestIds);
  }

  #ttlUntil(deadlineAt: number): number {
    return Math.max(1, Math.ceil((deadlineAt - this.#context.now()) / 1000)) + this.#context.retentionSeconds;
  }
}
