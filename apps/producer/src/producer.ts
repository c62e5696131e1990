import { randomUUID } from 'node:crypto';
import {
  type AiqumJobsEvent,
  type BatchView,
  batchInputSchema,
  batchView,
  compareStreamIds,
  createLogger,
  createRedisKeys,
  type EventType,
  jobResultValue,
  type Logger,
  maxInputDepth,
  nestsWithin,
  type ParsedBatchRequestInput,
  parseEventEntry,
  type RedisConnection,
  type RequestSpec,
  type RequestView,
  requestEndings,
  requestInputSchema,
  requestView,
  type StoredRequest,
  streamIdSchema,
  withJobResults,
} from '@aiqum-jobs/contracts';
import {
  createRequestQueue,
  DependantRelease,
  RequestStore,
  submissionJob,
  submissionJobId,
} from '@aiqum-jobs/core';
import type { Queue } from 'bullmq';
import type { z } from 'zod';
import { type BatchAnswer, batchAnswerSchema, type SubmitAnswer, submitAnswerSchema } from './api-schemas.js';
import { EventTail, type StreamEntry } from './event-tail.js';
import { Idempotency } from './idempotency.js';
import { issuesOfZodError } from './input-issues.js';
import { type InputIssue, ProducerError, producerErrorCodes } from './producer-error.js';
import type { ProducerMetrics } from './producer-metrics.js';
import {
  defaultBatchRetryOutcomes,
  type RetryBatchInput,
  type RetryRequestInput,
  retryBatchInputSchema,
  retryRequestInputSchema,
} from './retry-input.js';
import { guardStore, storeUnavailable } from './store-guard.js';

/** What the producer needs to know of a configured AIQUM target. */
export interface ProducerTarget {
  /** Deadline of a request that sets none, in seconds. */
  defaultDeadlineSeconds: number;
}

/** Tries of the removal of a refused submission's records: the first, then once per reconnection. */
const maxUndoAttempts = 5;

interface PendingUndo {
  requests: readonly Pick<RequestSpec, 'requestId' | 'retryOf'>[];
  batchId: string | undefined;
  attempt: number;
}

export interface ProducerOptions {
  /**
   * Command connection, owned by the caller (close it after the producer). Create it with
   * `createProducerRedis` so that commands fail fast while Redis is unreachable.
   */
  redis: RedisConnection;
  /** The deployment's hash-tagged key prefix, e.g. `{aiqum-jobs}`. */
  prefix: string;
  /** How long finished requests, batches and idempotency keys are kept, in seconds. */
  retentionSeconds: number;
  /** Configured targets by name: the only hosts a request can reach. */
  targets: ReadonlyMap<string, ProducerTarget>;
  /** @defaultValue a silent logger */
  logger?: Logger;
  /** Counts the requests and batches created. @defaultValue none */
  metrics?: Pick<ProducerMetrics, 'requestsCreated' | 'batchesCreated'>;
  /** @defaultValue `Date.now` */
  now?: () => number;
  /** Longest single XREAD BLOCK of the process's event tail, in milliseconds. @defaultValue 5000 */
  eventsBlockMs?: number;
  /**
   * Entries one follower of `events()` may have waiting; one that falls further behind reads them again
   * from the stream itself instead of holding them in memory. @defaultValue 1000
   */
  eventsBufferSize?: number;
  /** How long a duplicate `Idempotency-Key` waits for the first call's answer. @defaultValue 5000 */
  idempotencyWaitMs?: number;
}

/** The targets a caller may use; a caller limited to some gets 403 `FORBIDDEN_TARGET` for the others. */
export interface TargetAccess {
  /** @defaultValue every configured target */
  allowedTargets?: ReadonlySet<string> | undefined;
}

export interface SubmitOptions extends TargetAccess {
  /** Same key and body: the first answer, nothing new enqueued. Same key, other body: 409. */
  idempotencyKey?: string;
  /** Who asks (an API token's name): kept in the records and events as `submittedBy`, for audits. */
  submittedBy?: string | undefined;
}

/** A retry of one request: who asks and where they may, and whether an `unknown` write is retried anyway. */
export interface RetryOptions extends SubmitOptions, RetryRequestInput {}

/** A retry of a batch's requests: those that ended with `outcomes` (default `failed` and `timed_out`). */
export interface BatchRetryOptions extends SubmitOptions, RetryBatchInput {}

export interface BatchRequestsPage {
  batchId: string;
  total: number;
  offset: number;
  limit: number;
  /** The page's requests in submission order; a request whose record expired is left out. */
  requests: RequestView[];
}

export interface EventsOptions {
  /** Only events of this batch. */
  batchId?: string;
  /** Only these event types. @defaultValue every type */
  types?: readonly EventType[];
  /** Stream entry id to resume after; `0` replays the retained stream. @defaultValue only new events */
  after?: string;
  /**
   * `false` reads the events retained now (after `after`, else from the start) and ends.
   * @defaultValue true: waits for new events until the signal aborts
   */
  follow?: boolean;
  /** Ends the iteration. */
  signal?: AbortSignal;
  /**
   * Only the request events of requests to these targets; `batch.completed` (counts, no request) still
   * passes. @defaultValue every target
   */
  allowedTargets?: ReadonlySet<string> | undefined;
}

export interface StreamedEvent {
  /** The stream entry id: give it back as `after` (or `Last-Event-ID`) to resume. */
  streamId: string;
  event: AiqumJobsEvent;
}

export interface Producer extends AsyncDisposable {
  submit(input: unknown, options?: SubmitOptions): Promise<SubmitAnswer>;
  submitBatch(input: unknown, options?: SubmitOptions): Promise<BatchAnswer>;
  /**
   * A new request from the spec of a completed one that did not succeed, linked both ways (`retryOf` on the
   * new one, `retries` on the original). An `unknown` write is retried only with `force`.
   */
  retry(requestId: string, options?: RetryOptions): Promise<SubmitAnswer>;
  /** A new batch retrying the requests of a batch that ended with the outcomes asked for. */
  retryBatch(batchId: string, options?: BatchRetryOptions): Promise<BatchAnswer>;
  /** The request; undefined when there is none, or when its target is not one the caller may use. */
  get(requestId: string, access?: TargetAccess): Promise<RequestView | undefined>;
  getBatch(batchId: string): Promise<BatchView | undefined>;
  /**
   * The batches of the latest events (the last {@link recentEventsScanned} of the stream), most recent
   * first: those running or recently ended. A batch whose requests AIQUM has not accepted yet has no events.
   */
  recentBatches(limit: number): Promise<BatchView[]>;
  /** A page of a batch's requests; those whose target the caller may not use are left out. */
  listBatchRequests(
    batchId: string,
    page: { offset: number; limit: number },
    access?: TargetAccess,
  ): Promise<BatchRequestsPage | undefined>;
  /** Ends a request that has not completed as `cancelled`; the AIQUM job itself, if any, keeps running. */
  cancel(requestId: string, access?: TargetAccess): Promise<RequestView>;
  /** Moves the next poll of a tracked request to now. */
  pollNow(requestId: string, access?: TargetAccess): Promise<RequestView>;
  events(options?: EventsOptions): AsyncGenerator<StreamedEvent>;
  /** Answers when Redis does; throws otherwise. */
  ping(): Promise<void>;
  /** Ends event iterations and closes the queue; the caller's Redis connection stays open. */
  close(): Promise<void>;
}

/** Entries one XRANGE of `events()` reads. */
const eventsPageSize = 500;

/** How many of the latest events `recentBatches` reads to find batches. */
export const recentEventsScanned = 2_000;

function parseStreamId(value: string): string {
  const parsed = streamIdSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw validationError(parsed.error.issues.map((issue) => ({ path: 'after', message: issue.message })));
}

/** The library for TypeScript producers; the HTTP API is built on it. */
export function createProducer(options: ProducerOptions): Producer {
  return new RedisProducer(options);
}

class RedisProducer implements Producer {
  readonly #redis: RedisConnection;
  readonly #pendingUndos: PendingUndo[] = [];
  readonly #keys;
  readonly #store: RequestStore;
  readonly #queue: Queue;
  readonly #release: DependantRelease;
  readonly #idempotency: Idempotency;
  readonly #targets: ReadonlyMap<string, ProducerTarget>;
  readonly #logger: Logger;
  readonly #metrics: ProducerOptions['metrics'];
  readonly #now: () => number;
  readonly #tail: EventTail;
  readonly #closing = new AbortController();

  constructor(options: ProducerOptions) {
    this.#redis = options.redis;
    this.#redis.on('ready', this.#retryUndos);
    this.#keys = createRedisKeys(options.prefix);
    this.#now = options.now ?? Date.now;
    this.#store = new RequestStore({
      redis: options.redis,
      keys: this.#keys,
      retentionSeconds: options.retentionSeconds,
      now: this.#now,
    });
    this.#queue = createRequestQueue({
      connection: options.redis,
      prefix: options.prefix,
      retentionSeconds: options.retentionSeconds,
    });
    // Queue errors are the connection's errors; each failing call reports its own.
    this.#queue.on('error', () => {});
    this.#logger = options.logger ?? createLogger({ name: 'aiqum-producer', level: 'silent' });
    this.#release = new DependantRelease({ store: this.#store, queue: this.#queue, logger: this.#logger });
    this.#idempotency = new Idempotency({
      redis: options.redis,
      keys: this.#keys,
      retentionSeconds: options.retentionSeconds,
      logger: this.#logger,
      ...(options.idempotencyWaitMs === undefined ? {} : { waitForWinnerMs: options.idempotencyWaitMs }),
    });
    this.#targets = options.targets;
    this.#metrics = options.metrics;
    this.#tail = new EventTail({
      redis: options.redis,
      streamKey: this.#keys.events,
      blockMs: options.eventsBlockMs ?? 5_000,
      followerBufferSize: options.eventsBufferSize ?? 1_000,
    });
  }

  async submit(input: unknown, options: SubmitOptions = {}): Promise<SubmitAnswer> {
    const parsed = parseInput(requestInputSchema, input);
    const now = this.#now();
    const spec = this.#buildSpecs([parsed], now, { submittedBy: options.submittedBy }, '')[0];
    // One spec in, one spec out; the guard satisfies noUncheckedIndexedAccess.
    if (spec === undefined) throw new Error('no request spec was built');
    refuseOtherTargets([spec.target], options);
    return this.#idempotent(options, 'submit', input, submitAnswerSchema, async () => {
      await this.#enqueue([spec]);
      this.#logger.info(
        {
          requestId: spec.requestId,
          target: spec.target,
          method: spec.method,
          submittedBy: spec.submittedBy,
        },
        'request queued',
      );
      return { requestId: spec.requestId, status: 'queued' as const };
    });
  }

  async submitBatch(input: unknown, options: SubmitOptions = {}): Promise<BatchAnswer> {
    const parsed = parseInput(batchInputSchema, input);
    const batchId = randomUUID();
    const { submittedBy } = options;
    const specs = this.#buildSpecs(parsed.requests, this.#now(), { batchId, submittedBy }, 'requests');
    refuseOtherTargets(
      specs.map((spec) => spec.target),
      options,
    );
    return this.#idempotent(options, 'batch', input, batchAnswerSchema, async () => {
      await this.#enqueue(specs, { batchId, metadata: parsed.metadata, submittedBy });
      this.#logger.info({ batchId, total: specs.length, submittedBy }, 'batch queued');
      return { batchId, requestIds: specs.map((spec) => spec.requestId), total: specs.length };
    });
  }

  retry(requestId: string, options: RetryOptions = {}): Promise<SubmitAnswer> {
    const input = parseInput(retryRequestInputSchema, { force: options.force });
    return this.#guard('retry', async () => {
      const original = await this.#existing(requestId);
      refuseOtherTargets([original.target], options);
      if (original.status !== 'completed') {
        throw new ProducerError(
          producerErrorCodes.requestNotCompleted,
          `the request is ${original.status}: only a completed request can be retried`,
          { details: { status: original.status } },
        );
      }
      if (original.outcome === 'succeeded') {
        throw new ProducerError(
          producerErrorCodes.nothingToRetry,
          'the request succeeded: nothing to retry',
          {
            details: { outcome: original.outcome },
          },
        );
      }
      if (input.force !== true && needsReconciliation(original)) throw reconciliationNeeded([original]);
      return this.#idempotent(options, `retry ${requestId}`, input, submitAnswerSchema, async () => {
        const [spec] = await this.#retrySpecs([original], { submittedBy: options.submittedBy });
        if (spec === undefined) throw new Error('no retry spec was built');
        await this.#enqueue([spec]);
        this.#logger.info({ requestId: spec.requestId, retryOf: requestId }, 'request retried');
        return { requestId: spec.requestId, status: 'queued' as const };
      });
    });
  }

  retryBatch(batchId: string, options: BatchRetryOptions = {}): Promise<BatchAnswer> {
    const input = parseInput(retryBatchInputSchema, { outcomes: options.outcomes, force: options.force });
    const outcomes = new Set(input.outcomes ?? defaultBatchRetryOutcomes);
    return this.#guard('retryBatch', async () => {
      const batch = await this.#store.records.getBatch(batchId);
      if (batch === undefined) throw new ProducerError(producerErrorCodes.notFound, `no batch ${batchId}`);
      const ids = await this.#store.records.listBatchRequestIds(batchId, 0, batch.total);
      const stored = await this.#store.records.getMany(ids);
      const chosen = stored.filter(
        (request): request is StoredRequest =>
          request?.status === 'completed' && request.outcome !== undefined && outcomes.has(request.outcome),
      );
      if (chosen.length === 0) {
        throw new ProducerError(
          producerErrorCodes.nothingToRetry,
          `no request of the batch ended ${[...outcomes].join(' or ')}: nothing to retry`,
          { details: { outcomes: [...outcomes] } },
        );
      }
      refuseOtherTargets(
        chosen.map((request) => request.target),
        options,
      );
      const ambiguous = chosen.filter(needsReconciliation);
      if (input.force !== true && ambiguous.length > 0) throw reconciliationNeeded(ambiguous);
      return this.#idempotent(options, `retry batch ${batchId}`, input, batchAnswerSchema, async () => {
        const retryBatchId = randomUUID();
        const { submittedBy } = options;
        const specs = await this.#retrySpecs(chosen, { batchId: retryBatchId, submittedBy });
        const metadata = { ...batch.metadata, retryOf: batchId };
        await this.#enqueue(specs, { batchId: retryBatchId, metadata, submittedBy });
        this.#logger.info({ batchId: retryBatchId, retryOf: batchId, total: specs.length }, 'batch retried');
        return {
          batchId: retryBatchId,
          requestIds: specs.map((spec) => spec.requestId),
          total: specs.length,
        };
      });
    });
  }

  get(requestId: string, access: TargetAccess = {}): Promise<RequestView | undefined> {
    return this.#guard('get', async () => {
      const stored = await this.#store.records.get(requestId);
      if (stored === undefined || !isAllowed(stored.target, access)) return undefined;
      const [retries] = await this.#store.records.retriesOf([requestId]);
      return requestView(stored, retries);
    });
  }

  getBatch(batchId: string): Promise<BatchView | undefined> {
    return this.#guard('getBatch', async () => {
      const stored = await this.#store.records.getBatch(batchId);
      return stored === undefined ? undefined : batchView(stored);
    });
  }

  recentBatches(limit: number): Promise<BatchView[]> {
    return this.#guard('recentBatches', async () => {
      const entries = await this.#redis.xrevrange(this.#keys.events, '+', '-', 'COUNT', recentEventsScanned);
      const batchIds = new Set<string>();
      for (const [, fields] of entries) {
        const batchId = parseEventEntry(fields)?.batchId;
        if (batchId !== undefined) batchIds.add(batchId);
        if (batchIds.size === limit) break;
      }
      const batches = await Promise.all(
        [...batchIds].map((batchId) => this.#store.records.getBatch(batchId)),
      );
      return batches.flatMap((batch) => (batch === undefined ? [] : [batchView(batch)]));
    });
  }

  listBatchRequests(
    batchId: string,
    page: { offset: number; limit: number },
    access: TargetAccess = {},
  ): Promise<BatchRequestsPage | undefined> {
    return this.#guard('listBatchRequests', async () => {
      const batch = await this.#store.records.getBatch(batchId);
      if (batch === undefined) return undefined;
      const ids = await this.#store.records.listBatchRequestIds(batchId, page.offset, page.limit);
      const [stored, retries] = await Promise.all([
        this.#store.records.getMany(ids),
        this.#store.records.retriesOf(ids),
      ]);
      return {
        batchId,
        total: batch.total,
        offset: page.offset,
        limit: page.limit,
        requests: stored.flatMap((request, index) =>
          request === undefined || !isAllowed(request.target, access)
            ? []
            : [requestView(request, retries[index])],
        ),
      };
    });
  }

  cancel(requestId: string, access: TargetAccess = {}): Promise<RequestView> {
    return this.#guard('cancel', async () => {
      const view = await this.#existing(requestId);
      refuseOtherTargets([view.target], access);
      if (view.status === 'completed') throw alreadyCompleted(view);
      const { result, released } = await this.#store.completion.completeReleasing(
        view,
        { job: view.job, dialect: view.dialect, submittedAt: view.submittedAt },
        requestEndings.cancelled(),
      );
      const after = await this.#existing(requestId);
      // A worker completed it between our read and our transition.
      if (result !== 'completed') throw alreadyCompleted(after);
      await this.#removeWaitingJob(submissionJobId(requestId, view.attempt));
      // Its dependants are skipped now (a worker's sweep would, later, if this failed).
      await this.#release.release(released);
      this.#logger.info({ requestId }, 'request cancelled');
      return requestView(after);
    });
  }

  pollNow(requestId: string, access: TargetAccess = {}): Promise<RequestView> {
    return this.#guard('pollNow', async () => {
      const view = await this.#existing(requestId);
      refuseOtherTargets([view.target], access);
      if (view.status !== 'tracking') {
        throw new ProducerError(
          producerErrorCodes.notPollable,
          `the request is ${view.status}: only a request whose AIQUM job is being tracked can be polled`,
          { details: { status: view.status } },
        );
      }
      if (!(await this.#store.schedule.pollNow(view))) {
        throw new ProducerError(
          producerErrorCodes.notPollable,
          'no poll is waiting to be moved forward: a poll is running or about to',
        );
      }
      return requestView(view);
    });
  }

  async *events(options: EventsOptions = {}): AsyncGenerator<StreamedEvent> {
    const signal = AbortSignal.any([this.#closing.signal, ...(options.signal ? [options.signal] : [])]);
    if (signal.aborted) return;
    const after = options.after === undefined ? undefined : parseStreamId(options.after);
    const types = options.types === undefined ? undefined : new Set<string>(options.types);
    const matches = (event: AiqumJobsEvent) =>
      (types === undefined || types.has(event.type)) &&
      (options.batchId === undefined || event.batchId === options.batchId) &&
      // A token limited to targets gets its targets' request events, and every batch.completed.
      (event.type === 'batch.completed' || isAllowed(event.target, options));
    const entries =
      (options.follow ?? true) ? this.#followedEntries(after, signal) : this.#retainedEntries(after);
    try {
      for await (const [streamId, fields] of entries) {
        if (signal.aborted) return;
        const event = parseEventEntry(fields);
        if (event === undefined) {
          this.#logger.warn({ streamId }, 'skipped an event that does not parse');
          continue;
        }
        if (matches(event)) yield { streamId, event };
      }
    } catch (error) {
      if (!signal.aborted) throw storeUnavailable('events', error, this.#logger);
    }
  }

  async ping(): Promise<void> {
    await this.#redis.ping();
  }

  async close(): Promise<void> {
    this.#closing.abort();
    this.#tail.close();
    this.#redis.off('ready', this.#retryUndos);
    await this.#queue.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * The entries retained now, after `after` (else from the start), read in pages on the command connection
   * (XRANGE does not block): up to the entry that was last when the iteration began.
   */
  async *#retainedEntries(after: string | undefined): AsyncGenerator<StreamEntry> {
    const end = await this.#lastStreamId();
    let position = after ?? '0-0';
    while (true) {
      const page = await this.#entriesAfter(position, end);
      const last = page.at(-1);
      if (last === undefined) return;
      yield* page;
      position = last[0];
    }
  }

  /**
   * The entries after `after` (else after the last one now), then every new one until the signal aborts.
   * New ones come from the process's shared {@link EventTail}; what came before the tail's position, or
   * what this follower dropped by falling behind, is read in pages on the command connection, so a
   * follower resumes exactly where it was, with no gap and no entry twice (ids only increase).
   */
  async *#followedEntries(after: string | undefined, signal: AbortSignal): AsyncGenerator<StreamEntry> {
    const follower = await this.#tail.follow();
    try {
      let position = after ?? (await this.#lastStreamId());
      let catchingUp = true;
      while (!signal.aborted) {
        let entries: StreamEntry[];
        if (catchingUp) {
          entries = await this.#entriesAfter(position, '+');
          catchingUp = entries.length === eventsPageSize;
        } else {
          const delivery = await follower.take(signal);
          // Dropped entries are read again from `position`; those delivered with the drop are among them.
          catchingUp = delivery.overflowed;
          entries = delivery.overflowed ? [] : delivery.entries;
        }
        for (const entry of entries) {
          if (compareStreamIds(entry[0], position) <= 0) continue;
          position = entry[0];
          yield entry;
        }
      }
    } finally {
      this.#tail.unfollow(follower);
    }
  }

  /** One page of the entries after `position` up to `end` (an id, or `+`), on the command connection. */
  #entriesAfter(position: string, end: string): Promise<StreamEntry[]> {
    return this.#redis.xrange(this.#keys.events, `(${position}`, end, 'COUNT', eventsPageSize);
  }

  async #lastStreamId(): Promise<string> {
    const [last] = await this.#redis.xrevrange(this.#keys.events, '+', '-', 'COUNT', 1);
    return last?.[0] ?? '0-0';
  }

  async #existing(requestId: string): Promise<StoredRequest> {
    const view = await this.#store.records.get(requestId);
    if (view === undefined) throw new ProducerError(producerErrorCodes.notFound, `no request ${requestId}`);
    return view;
  }

  /** Takes a cancelled request's job out of the queue unless a worker holds it (it will see the outcome). */
  async #removeWaitingJob(jobId: string): Promise<void> {
    const job = await this.#queue.getJob(jobId);
    if (job === undefined) return;
    const state = await job.getState();
    if (state !== 'waiting' && state !== 'delayed' && state !== 'prioritized') return;
    try {
      await job.remove();
    } catch (error) {
      this.#logger.debug({ jobId, err: error }, 'queue job not removed: a worker holds it');
    }
  }

  #buildSpecs(
    inputs: readonly ParsedBatchRequestInput[],
    now: number,
    shared: { batchId?: string; submittedBy?: string | undefined },
    pathPrefix: string,
  ): RequestSpec[] {
    const issues: InputIssue[] = [];
    const specs: RequestSpec[] = [];
    inputs.forEach((input, index) => {
      const where = pathPrefix === '' ? 'target' : `${pathPrefix}[${index}].target`;
      const resolved = this.#resolveTarget(input.target);
      if (typeof resolved === 'string') {
        issues.push({ path: where, message: resolved });
        return;
      }
      const deadlineSeconds = input.deadlineSeconds ?? resolved.target.defaultDeadlineSeconds;
      const spec: RequestSpec = {
        requestId: randomUUID(),
        target: resolved.name,
        method: input.method,
        path: input.path,
        createdAt: now,
        deadlineAt: now + deadlineSeconds * 1000,
        retryAmbiguous: input.retryAmbiguous,
      };
      if (shared.batchId !== undefined) spec.batchId = shared.batchId;
      if (shared.submittedBy !== undefined) spec.submittedBy = shared.submittedBy;
      if (input.body !== undefined) spec.body = input.body;
      if (input.object !== undefined) spec.object = input.object;
      if (input.poll !== undefined) spec.poll = input.poll;
      if (input.metadata !== undefined) spec.metadata = input.metadata;
      if (input.ref !== undefined) spec.ref = input.ref;
      if (input.proceedOnWarning !== undefined) spec.proceedOnWarning = input.proceedOnWarning;
      if (input.retry !== undefined) spec.retry = input.retry;
      specs.push(spec);
    });
    if (issues.length > 0) {
      throw new ProducerError(producerErrorCodes.unknownTarget, describeIssues(issues), { issues });
    }
    return withDependencies(
      specs,
      inputs.map((input) => input.dependsOn),
    );
  }

  /**
   * New specs from the stored specs of `originals` (body included), each with `retryOf` its original and
   * its deadline as far from now as the original's was from its creation.
   */
  async #retrySpecs(
    originals: readonly StoredRequest[],
    shared: { batchId?: string; submittedBy?: string | undefined },
  ): Promise<RequestSpec[]> {
    const specs = await this.#store.records.getSpecs(originals.map((original) => original.requestId));
    const now = this.#now();
    const issues: InputIssue[] = [];
    const retries = specs.flatMap((spec, index): RequestSpec[] => {
      if (spec === undefined) {
        const requestId = originals[index]?.requestId;
        throw new ProducerError(
          producerErrorCodes.notFound,
          `the spec of request ${requestId} is not kept: it expired, or the request was made before ` +
            'aiqum-jobs kept request bodies for retries; submit it again',
          { details: { requestId } },
        );
      }
      if (!this.#targets.has(spec.target)) {
        issues.push({ path: spec.requestId, message: `target "${spec.target}" is no longer configured` });
        return [];
      }
      const {
        requestId: _requestId,
        batchId: _batchId,
        submittedBy: _submittedBy,
        createdAt,
        deadlineAt,
        ...same
      } = spec;
      const retry: RequestSpec = {
        ...same,
        requestId: randomUUID(),
        createdAt: now,
        deadlineAt: now + (deadlineAt - createdAt),
        retryOf: spec.requestId,
      };
      if (shared.batchId !== undefined) retry.batchId = shared.batchId;
      if (shared.submittedBy !== undefined) retry.submittedBy = shared.submittedBy;
      return [retry];
    });
    if (issues.length > 0) {
      throw new ProducerError(producerErrorCodes.unknownTarget, describeIssues(issues), { issues });
    }
    return this.#keepOrder(retries);
  }

  /**
   * The order of retried requests: a dependency retried with its dependant is the new request; one that is
   * not retried and succeeded is already met, so it is dropped, and the dependant's `$jobResult` references
   * to it take its kept job results now. Any other dependency not retried is refused: the retry would skip
   * the dependant again (retry that dependency too, e.g. with its outcome in `outcomes`).
   */
  async #keepOrder(retries: RequestSpec[]): Promise<RequestSpec[]> {
    const retryOfId = new Map(retries.map((retry) => [retry.retryOf ?? '', retry.requestId]));
    const outside = [
      ...new Set(
        retries.flatMap((retry) =>
          (retry.dependsOn ?? []).flatMap(({ requestId }) => (retryOfId.has(requestId) ? [] : [requestId])),
        ),
      ),
    ];
    const records = new Map(
      (await this.#store.records.getMany(outside)).map((record, index) => [outside[index] ?? '', record]),
    );
    return retries.map((retry) => {
      if (retry.dependsOn === undefined) return retry;
      const kept = retry.dependsOn.flatMap((dependency) => {
        const retriedAs = retryOfId.get(dependency.requestId);
        if (retriedAs !== undefined) return [{ ref: dependency.ref, requestId: retriedAs }];
        const record = records.get(dependency.requestId);
        if (record?.outcome === 'succeeded') return [];
        throw new ProducerError(
          producerErrorCodes.retryBreaksOrder,
          `request ${retry.retryOf} depends on "${dependency.ref}" (request ${dependency.requestId}), which ` +
            `${record === undefined ? 'is gone' : `ended ${record.outcome ?? record.status}`} and is not retried ` +
            'with it: retry them together (name its outcome in outcomes)',
          { details: { requestId: retry.retryOf, dependency: { ...dependency, outcome: record?.outcome } } },
        );
      });
      const met = new Map(
        retry.dependsOn.flatMap(({ ref, requestId }) => {
          const record = records.get(requestId);
          return record === undefined ? [] : [[ref, record.jobResults] as const];
        }),
      );
      const { dependsOn: _dependsOn, ...rest } = withJobResults(retry, ({ ref, name }) => {
        const value = jobResultValue(met.get(ref) ?? [], name);
        if (value !== undefined) return value;
        throw new ProducerError(
          producerErrorCodes.retryBreaksOrder,
          `request ${retry.retryOf} refers to job result "${name}" of "${ref}", which has no such result`,
          { details: { requestId: retry.retryOf, ref, name } },
        );
      });
      return kept.length === 0 ? rest : { ...rest, dependsOn: kept };
    });
  }

  /** The configured target a request names; a message saying why when there is none. */
  #resolveTarget(name: string | undefined): { name: string; target: ProducerTarget } | string {
    const configured = [...this.#targets.keys()].join(', ');
    if (name === undefined) {
      const [only, ...others] = this.#targets.entries();
      if (only !== undefined && others.length === 0) return { name: only[0], target: only[1] };
      return `target is required when several targets are configured (${configured})`;
    }
    const target = this.#targets.get(name);
    return target === undefined ? `unknown target "${name}"; configured: ${configured}` : { name, target };
  }

  /**
   * Stores the requests, then queues their jobs, each in one round trip. On any failure the records are
   * removed again, so a caller is never told "queued" about a request that no worker will see. The removal
   * also runs after a timed-out `create`: on a Redis that hangs, it is queued behind the create it undoes.
   * It is sent, not awaited: on a hung Redis the caller gets its 503 after one command timeout, not two.
   */
  async #enqueue(
    specs: RequestSpec[],
    batch?: { batchId: string; metadata: unknown; submittedBy: string | undefined },
  ): Promise<void> {
    try {
      await this.#store.records.create(specs, batch);
      // A request with dependencies waits, out of the queue, until a completion releases it.
      await this.#queue.addBulk(specs.filter((spec) => spec.dependsOn === undefined).map(submissionJob));
    } catch (error) {
      this.#undoCreate({
        requests: specs,
        batchId: batch?.batchId,
        attempt: 1,
      });
      throw storeUnavailable('enqueue', error, this.#logger);
    }
    this.#countCreated(specs, batch !== undefined);
  }

  /**
   * Removes the records of a refused submission. A create whose answer was lost (Redis killed after it wrote
   * its AOF) may still be there when Redis is back, so a removal that fails is sent again once the
   * connection is ready again, up to `maxUndoAttempts` in all.
   */
  #undoCreate(undo: PendingUndo): void {
    this.#store.records.remove(undo.requests, undo.batchId).catch((error: unknown) => {
      this.#logger.error(
        { err: error, attempt: undo.attempt },
        'stored requests could not be removed after a failure',
      );
      if (undo.attempt < maxUndoAttempts) this.#pendingUndos.push({ ...undo, attempt: undo.attempt + 1 });
    });
  }

  /** On each reconnection: the removals that failed while Redis was away. */
  readonly #retryUndos = (): void => {
    for (const undo of this.#pendingUndos.splice(0)) this.#undoCreate(undo);
  };

  #countCreated(specs: readonly RequestSpec[], isBatch: boolean): void {
    if (this.#metrics === undefined) return;
    const perTarget = new Map<string, number>();
    for (const spec of specs) perTarget.set(spec.target, (perTarget.get(spec.target) ?? 0) + 1);
    for (const [target, count] of perTarget) this.#metrics.requestsCreated.inc({ target }, count);
    if (isBatch) this.#metrics.batchesCreated.inc();
  }

  #idempotent<T>(
    options: SubmitOptions,
    scope: string,
    input: unknown,
    schema: z.ZodType<T>,
    action: () => Promise<T>,
  ): Promise<T> {
    const key = options.idempotencyKey;
    if (key === undefined) return action();
    return this.#guard('idempotency', async () => {
      const result = await this.#idempotency.run(key, scope, input, schema, action);
      if (result.replayed) this.#logger.info({ scope }, 'idempotent replay');
      return result.response;
    });
  }

  /** Every failure that is not the caller's is a storage failure: 503, never a hang or a false 202. */
  #guard<T>(operation: string, action: () => Promise<T>): Promise<T> {
    return guardStore(operation, this.#logger, action);
  }
}

/** A caller's input through its schema; every way it can be wrong is a validation error, never a crash. */
function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  if (!nestsWithin(input, maxInputDepth)) {
    throw validationError([
      { path: '(body)', message: `arrays and objects nest more than ${maxInputDepth} levels deep` },
    ]);
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw validationError(issuesOfZodError(parsed.error));
  return parsed.data;
}

/**
 * `specs` with `dependsOn[index]` (the refs each request depends on, checked by the batch schema) as the refs
 * and ids of those requests.
 */
function withDependencies(
  specs: RequestSpec[],
  dependsOn: ReadonlyArray<readonly string[] | undefined>,
): RequestSpec[] {
  const idOfRef = new Map(
    specs.flatMap((spec) => (spec.ref === undefined ? [] : [[spec.ref, spec.requestId]])),
  );
  specs.forEach((spec, index) => {
    const refs = dependsOn[index];
    if (refs === undefined) return;
    spec.dependsOn = refs.map((ref) => ({ ref, requestId: idOfRef.get(ref) ?? '' }));
  });
  return specs;
}

function isAllowed(target: string, access: TargetAccess): boolean {
  return access.allowedTargets === undefined || access.allowedTargets.has(target);
}

/** Refuses, naming them, the targets among `targets` that the caller may not use. */
function refuseOtherTargets(targets: readonly string[], access: TargetAccess): void {
  const refused = [...new Set(targets)].filter((target) => !isAllowed(target, access));
  const allowed = access.allowedTargets;
  if (refused.length === 0 || allowed === undefined) return;
  throw new ProducerError(
    producerErrorCodes.forbiddenTarget,
    `this token may not use target ${refused.join(', ')} (it may use ${[...allowed].join(', ')})`,
    { details: { targets: refused } },
  );
}

function validationError(issues: InputIssue[]): ProducerError {
  return new ProducerError(producerErrorCodes.validationFailed, describeIssues(issues), { issues });
}

function describeIssues(issues: readonly InputIssue[]): string {
  const shown = issues.slice(0, 3).map((issue) => `${issue.path}: ${issue.message}`);
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  return `invalid input: ${shown.join('; ')}${more}`;
}

/** A write that may have reached AIQUM: retrying it could do it twice. */
function needsReconciliation(request: StoredRequest): boolean {
  return request.outcome === 'unknown' && request.method !== 'GET';
}

function reconciliationNeeded(requests: readonly StoredRequest[]): ProducerError {
  const which = requests.length === 1 ? 'the request is a write' : `${requests.length} requests are writes`;
  return new ProducerError(
    producerErrorCodes.retryNeedsReconciliation,
    `${which} whose outcome is unknown: it may have reached AIQUM, and a retry could do it twice. ` +
      "The worker's reconciliation could not settle whether it happened (what it found is in the request's " +
      'error): check in Unified Manager, and retry with force: true if it did not happen',
    { details: { requestIds: requests.map((request) => request.requestId) } },
  );
}

function alreadyCompleted(view: StoredRequest): ProducerError {
  return new ProducerError(
    producerErrorCodes.requestCompleted,
    `the request already completed with outcome ${view.outcome ?? 'unknown'}`,
    { details: { outcome: view.outcome } },
  );
}
