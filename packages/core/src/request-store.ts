import {
  batchCompletedEventBase,
  eventIds,
  isoTime,
  type JobRef,
  type JobResult,
  type JobState,
  jobDialectSchema,
  jobRefSchema,
  jobResultSchema,
  jobStateSchema,
  type RedisConnection,
  type RedisKeys,
  type RequestAcceptedEvent,
  type RequestCompletedEvent,
  type RequestError,
  type RequestOutcome,
  type RequestSpec,
  type ResolvedReference,
  requestErrorSchema,
  requestOutcomeSchema,
  requestOutcomes,
  requestSpecSchema,
  requestStatusSchema,
  resolvedReferenceSchema,
  type StoredRequest,
} from '@aiqum-jobs/contracts';
import { z } from 'zod';
import { jsonText } from './json-text.js';
import { RedisClock } from './redis-clock.js';
import {
  acceptJobScript,
  beginSubmissionScript,
  type ClaimedRecord,
  claimPollsScript,
  completeRequestScript,
  createRequestsScript,
  pollNowScript,
  recordPollMissScript,
  recordPollScript,
  requeueSubmissionScript,
  type submissionVerdicts,
} from './request-scripts.js';
import { ScriptBatcher } from './script-batcher.js';
import { limiterWindow, type TargetLimits } from './target-limiter.js';

/** A batch as the store keeps it. Timestamps are epoch milliseconds. */
export interface StoredBatch {
  batchId: string;
  total: number;
  /** Requests by where they are: not yet accepted by AIQUM, tracked, finished. */
  byStatus: { pending: number; tracking: number; completed: number };
  byOutcome: Record<RequestOutcome, number>;
  done: boolean;
  createdAt: number;
  finishedAt?: number;
  metadata?: Record<string, string | number | boolean | null>;
  /** Name of the API token that submitted it. */
  submittedBy?: string;
}

/** How a request ended, as the code that ends it knows it. */
export interface Completion {
  outcome: RequestOutcome;
  error?: RequestError;
  jobState?: JobState;
  jobResults?: JobResult[];
  response?: unknown;
}

/** What events say about the request they belong to: a spec or a stored request both have it. */
export type RequestIdentity = Pick<
  RequestSpec,
  'requestId' | 'batchId' | 'target' | 'method' | 'path' | 'metadata' | 'createdAt' | 'submittedBy'
>;

/** What `complete` needs to know of the request besides its identity (from the record or the worker). */
export interface TrackedFacts {
  job?: JobRef | undefined;
  /** The names looked up before the submission, and the keys sent in their place. */
  resolved?: ResolvedReference[] | undefined;
  dialect?: JobDialectName | undefined;
  submittedAt?: number | undefined;
}

type JobDialectName = z.output<typeof jobDialectSchema>;

export type CompleteResult = 'completed' | 'already-completed' | 'missing';

/** When the next poll of a tracked request is due: `delayMs` from now by Redis's clock, not after `deadlineAt`. */
export interface NextPoll {
  delayMs: number;
  deadlineAt: number;
}

/** A call slot taken on a target's limits; the script that records the call's result releases it. */
export interface CallSlot {
  target: string;
  leaseId: string;
}

export interface ClaimPollsOptions {
  limits: TargetLimits;
  /** Most polls to claim. */
  max: number;
  /** How long a claim holds before the poll is due again (longer than the poll can last). */
  claimMs: number;
  /** Lease of each call slot. */
  leaseMs: number;
  /** Lease ids are this plus the claim's index. */
  leaseIdPrefix: string;
}

/** A claimed poll: the request (undefined when its record is gone or unreadable) and its call slot. */
export interface ClaimedPoll {
  requestId: string;
  slot: CallSlot;
  record: ClaimedRecord | undefined;
}

export interface ClaimedPolls {
  claims: ClaimedPoll[];
  /** With no claims: ms until the next poll is due or a slot frees (-1: nothing is tracked). */
  ms: number;
}

/** What a submission asks of `beginSubmission`. */
export interface SubmissionRequest {
  target: string;
  limits: TargetLimits;
  /** Lease id of the call slot taken with `claimed`. */
  leaseId: string;
  /** Claim token of a submission. */
  token: string;
  /** How long a submission claim holds before it counts as interrupted. */
  claimLeaseMs: number;
  /** Whether an interrupted submission may be claimed anew. */
  allowResubmit: boolean;
  /** Slot lease of the submission call. */
  submitLeaseMs: number;
}

/**
 * How a submission begins: `claimed` (submit now) holds a call slot; `busy` and `limited` come with
 * `ms` to wait; `interrupted` is a claim whose worker died mid-call; `tracking` is for the pollers.
 */
export interface SubmissionStart {
  verdict: (typeof submissionVerdicts)[number];
  submitAttempts: number;
  ms: number;
  state: Omit<RequestState, 'status'>;
}

const optionalInt = z.coerce.number().int().optional();

/** The request hash as Redis holds it: every value a string, JSON where structured. */
const requestHashSchema = z.object({
  spec: jsonText(requestSpecSchema),
  status: requestStatusSchema,
  outcome: requestOutcomeSchema.optional(),
  job: jsonText(jobRefSchema).optional(),
  dialect: jobDialectSchema.optional(),
  jobState: jsonText(jobStateSchema).optional(),
  jobResults: jsonText(z.array(jobResultSchema)).optional(),
  error: jsonText(requestErrorSchema).optional(),
  response: jsonText(z.json()).optional(),
  resolved: jsonText(z.array(resolvedReferenceSchema)).optional(),
  submittedAt: optionalInt,
  finishedAt: optionalInt,
  polls: z.coerce.number().int().default(0),
  submitAttempts: z.coerce.number().int().default(0),
});

/** What the worker needs of a record at each submission and poll: its state, not its spec (the queue job carries that). */
export interface RequestState {
  status: z.output<typeof requestStatusSchema>;
  job?: JobRef;
  dialect?: z.output<typeof jobDialectSchema>;
  jobState?: JobState;
  submittedAt?: number;
}

const stateFields = ['status', 'job', 'dialect', 'jobState', 'submittedAt'] as const;
const requestStateSchema = requestHashSchema.pick({
  status: true,
  job: true,
  dialect: true,
  jobState: true,
  submittedAt: true,
});

export type { ClaimedRecord };

const batchHashSchema = z.object({
  total: z.coerce.number().int(),
  done: z.coerce.number().int().default(0),
  tracking: z.coerce.number().int().default(0),
  createdAt: z.coerce.number().int(),
  finishedAt: optionalInt,
  metadata: jsonText(
    z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  ).optional(),
  submittedBy: z.string().min(1).optional(),
});

export interface RequestStoreOptions {
  redis: RedisConnection;
  keys: RedisKeys;
  /** How long finished requests and batches are kept, in seconds (events: see `EventStreamTrimmer`). */
  retentionSeconds: number;
  /** This process's clock: a producer's createdAt, and what `clock` carries Redis's time forward by. @defaultValue `Date.now` */
  now?: () => number;
}

/** Where requests and batches live in Redis, and the only code that changes them. */
export class RequestStore {
  readonly #redis: RedisConnection;
  readonly #keys: RedisKeys;
  readonly #retentionSeconds: number;
  readonly #now: () => number;
  /** Redis's time as the last script read it: what deadlines are compared with. */
  readonly clock: RedisClock;
  /** The state-machine scripts of this process, sent together when they meet. */
  readonly #scripts: ScriptBatcher;

  constructor(options: RequestStoreOptions) {
    this.#redis = options.redis;
    this.#scripts = new ScriptBatcher(options.redis, [
      beginSubmissionScript,
      requeueSubmissionScript,
      acceptJobScript,
      recordPollScript,
      recordPollMissScript,
      claimPollsScript,
      completeRequestScript,
    ]);
    this.#keys = options.keys;
    this.#retentionSeconds = options.retentionSeconds;
    this.#now = options.now ?? Date.now;
    this.clock = new RedisClock(options.redis, this.#now);
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
    const now = this.#now();
    let batchFields = '';
    let batchTtlSeconds = 0;
    const batchKeys: { batch?: string; batchRequests?: string } = {};
    if (batch) {
      const fields: Record<string, string | number> = {
        total: specs.length,
        done: 0,
        tracking: 0,
        createdAt: now,
        createdAtIso: isoTime(now),
      };
      if (batch.metadata !== undefined) fields.metadata = JSON.stringify(batch.metadata);
      if (batch.submittedBy !== undefined) fields.submittedBy = batch.submittedBy;
      batchFields = JSON.stringify(fields);
      batchTtlSeconds = this.#ttlUntil(Math.max(...specs.map((spec) => spec.deadlineAt)));
      batchKeys.batch = this.#keys.batch(batch.batchId);
      batchKeys.batchRequests = this.#keys.batchRequests(batch.batchId);
    }
    // The body travels only in the queue job, which the worker reads anyway: the record (kept for the
    // retention) stays small, and views never show the body.
    const requests = specs.map((spec) => {
      const { body: _body, ...withoutBody } = spec;
      return [spec.requestId, JSON.stringify(withoutBody), this.#ttlUntil(spec.deadlineAt)];
    });
    await createRequestsScript.run(this.#redis, {
      keys: batchKeys,
      keyList: specs.map((spec) => this.#keys.request(spec.requestId)),
      args: { batchFields, batchTtlSeconds, requests: JSON.stringify(requests) },
    });
  }

  /** Undoes `create` when the queue refused the jobs, so nothing half-stored is left behind. */
  async remove(requestIds: readonly string[], batchId?: string): Promise<void> {
    const keys = requestIds.map((id) => this.#keys.request(id));
    if (batchId) keys.push(this.#keys.batch(batchId), this.#keys.batchRequests(batchId));
    // One command (the keys share the prefix's hash slot), so that a failure rejects: a pipeline would
    // resolve with its commands' errors, and the caller would never hear of it.
    await this.#redis.del(...keys);
  }

  async get(requestId: string): Promise<StoredRequest | undefined> {
    const hash = await this.#redis.hgetall(this.#keys.request(requestId));
    return decodeRequest(hash);
  }

  /** The state of a request, read and parsed without its spec; undefined when the record is gone. */
  async getState(requestId: string): Promise<RequestState | undefined> {
    const values = await this.#redis.hmget(this.#keys.request(requestId), ...stateFields);
    if (values[0] === null) return undefined;
    const present = Object.fromEntries(
      stateFields.flatMap((field, index) => {
        const value = values[index];
        return value === null || value === undefined ? [] : [[field, value]];
      }),
    );
    const parsed = requestStateSchema.parse(present);
    const state: RequestState = { status: parsed.status };
    if (parsed.job !== undefined) state.job = parsed.job;
    if (parsed.dialect !== undefined) state.dialect = parsed.dialect;
    if (parsed.jobState !== undefined) state.jobState = parsed.jobState;
    if (parsed.submittedAt !== undefined) state.submittedAt = parsed.submittedAt;
    return state;
  }

  async getMany(requestIds: readonly string[]): Promise<Array<StoredRequest | undefined>> {
    if (requestIds.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const id of requestIds) pipeline.hgetall(this.#keys.request(id));
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, hash]) => {
      if (error) throw error;
      return decodeRequest(hash as Record<string, string>);
    });
  }

  async getBatch(batchId: string): Promise<StoredBatch | undefined> {
    const hash = await this.#redis.hgetall(this.#keys.batch(batchId));
    if (Object.keys(hash).length === 0) return undefined;
    const batch = batchHashSchema.parse(hash);
    const byOutcome = Object.fromEntries(
      requestOutcomes.map((outcome) => [outcome, Number(hash[`count:${outcome}`] ?? 0)]),
    ) as Record<RequestOutcome, number>;
    const view: StoredBatch = {
      batchId,
      total: batch.total,
      byStatus: {
        pending: batch.total - batch.done - batch.tracking,
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
    return this.#redis.lrange(this.#keys.batchRequests(batchId), offset, offset + limit - 1);
  }

  /**
   * Begins a request's submission in one command: its state, a call slot on its target, and for a
   * submission the claim (see the script for every verdict).
   */
  async beginSubmission(requestId: string, submission: SubmissionRequest): Promise<SubmissionStart> {
    const { windowMs, callsPerWindow } = limiterWindow(submission.limits);
    const { verdict, submitAttempts, ms, now, state } = await this.#scripts.run(beginSubmissionScript, {
      keys: {
        request: this.#keys.request(requestId),
        inFlight: this.#keys.targetInFlight(submission.target),
        recent: this.#keys.targetRecentCalls(submission.target),
      },
      args: {
        token: submission.token,
        claimLeaseMs: submission.claimLeaseMs,
        allowResubmit: submission.allowResubmit ? '1' : '0',
        submitLeaseMs: submission.submitLeaseMs,
        maxConcurrent: submission.limits.maxConcurrent,
        callsPerWindow,
        windowMs,
        leaseId: submission.leaseId,
      },
    });
    this.clock.observe(now);
    const known: Omit<RequestState, 'status'> = {};
    if (state.job) known.job = state.job;
    if (state.dialect) known.dialect = state.dialect;
    if (state.jobState) known.jobState = state.jobState;
    if (state.submittedAt !== undefined) known.submittedAt = state.submittedAt;
    return { verdict, submitAttempts, ms, state: known };
  }

  /** submitting → queued by the claim holder, for a submission that provably never reached AIQUM. */
  async requeueSubmission(requestId: string, token: string, slot?: CallSlot): Promise<string> {
    return this.#scripts.run(requeueSubmissionScript, {
      keys: { request: this.#keys.request(requestId), ...this.#slotKeys(slot) },
      args: { token, leaseId: slot?.leaseId ?? '' },
    });
  }

  /**
   * submitting → tracking by the claim holder, with `request.accepted` (submitted at Redis's time); releases
   * the call slot and schedules the first poll.
   */
  async acceptJob(
    spec: RequestIdentity,
    job: JobRef,
    token: string,
    slot: CallSlot | undefined,
    firstPoll: NextPoll,
    resolved: readonly ResolvedReference[] = [],
  ): Promise<string> {
    const event: Omit<RequestAcceptedEvent, 'occurredAt'> = {
      id: eventIds.requestAccepted(spec.requestId),
      type: 'request.accepted',
      ...identityOf(spec),
      job,
      ...(resolved.length > 0 ? { resolved: [...resolved] } : {}),
    };
    return this.#scripts.run(acceptJobScript, {
      keys: {
        request: this.#keys.request(spec.requestId),
        events: this.#keys.events,
        due: this.#keys.targetDue(spec.target),
        ...this.#slotKeys(slot),
        ...(spec.batchId ? { batch: this.#keys.batch(spec.batchId) } : {}),
      },
      args: {
        job: JSON.stringify(job),
        event: JSON.stringify(event),
        token,
        leaseId: slot?.leaseId ?? '',
        firstPollDelayMs: Math.round(firstPoll.delayMs),
        deadlineAt: firstPoll.deadlineAt,
        requestId: spec.requestId,
        resolved: resolved.length > 0 ? JSON.stringify(resolved) : '',
        dueChannel: this.#keys.dueChanges,
        target: spec.target,
        hasBatch: spec.batchId ? '1' : '0',
      },
    });
  }

  /**
   * Records a poll of a tracked Job, releases its slot and schedules the next poll; returns the status after
   * it and the poll count.
   */
  async recordPoll(
    requestId: string,
    jobState: JobState,
    dialect: JobDialectName | undefined,
    slot: CallSlot,
    next: NextPoll,
  ): Promise<{ status: string; polls: number }> {
    return this.#scripts.run(recordPollScript, {
      keys: {
        request: this.#keys.request(requestId),
        inFlight: this.#keys.targetInFlight(slot.target),
        due: this.#keys.targetDue(slot.target),
      },
      args: {
        jobState: JSON.stringify(jobState),
        dialect: dialect ?? '',
        leaseId: slot.leaseId,
        delayMs: Math.round(next.delayMs),
        deadlineAt: next.deadlineAt,
        requestId,
        dueChannel: this.#keys.dueChanges,
        target: slot.target,
      },
    });
  }

  /**
   * Counts a failed poll, releases its slot and schedules the next try; returns the status and how many
   * polls in a row failed.
   */
  async recordPollError(
    requestId: string,
    slot: CallSlot,
    next: NextPoll,
  ): Promise<{ status: string; pollErrors: number }> {
    const { status, count } = await this.#recordPollMiss('pollErrors', requestId, slot, next);
    return { status, pollErrors: count };
  }

  /**
   * Counts a poll that failed inside the worker (not an AIQUM answer), releases its slot and schedules the
   * next try; returns the status and how many such failures came in a row.
   */
  async recordPollFailure(
    requestId: string,
    slot: CallSlot,
    next: NextPoll,
  ): Promise<{ status: string; pollFailures: number }> {
    const { status, count } = await this.#recordPollMiss('pollFailures', requestId, slot, next);
    return { status, pollFailures: count };
  }

  #recordPollMiss(
    counter: 'pollErrors' | 'pollFailures',
    requestId: string,
    slot: CallSlot,
    next: NextPoll,
  ): Promise<{ status: string; count: number }> {
    return this.#scripts.run(recordPollMissScript, {
      keys: {
        request: this.#keys.request(requestId),
        inFlight: this.#keys.targetInFlight(slot.target),
        due: this.#keys.targetDue(slot.target),
      },
      args: {
        counter,
        leaseId: slot.leaseId,
        delayMs: Math.round(next.delayMs),
        deadlineAt: next.deadlineAt,
        requestId,
        dueChannel: this.#keys.dueChanges,
        target: slot.target,
      },
    });
  }

  /**
   * Claims up to `max` due polls of a target, as many as its limits allow, each with a call slot and a
   * claim that makes it due again after `claimMs` (a worker that dies with it loses it then).
   */
  async claimPolls(target: string, options: ClaimPollsOptions): Promise<ClaimedPolls> {
    const { windowMs, callsPerWindow } = limiterWindow(options.limits);
    const { now, ms, claims } = await this.#scripts.run(claimPollsScript, {
      keys: {
        due: this.#keys.targetDue(target),
        inFlight: this.#keys.targetInFlight(target),
        recent: this.#keys.targetRecentCalls(target),
      },
      args: {
        maxClaims: options.max,
        claimMs: options.claimMs,
        leaseMs: options.leaseMs,
        maxConcurrent: options.limits.maxConcurrent,
        callsPerWindow,
        windowMs,
        leaseIdPrefix: options.leaseIdPrefix,
        requestKeyPrefix: this.#keys.request(''),
      },
    });
    this.clock.observe(now);
    return {
      ms,
      claims: claims.map((claim) => ({
        requestId: claim.requestId,
        slot: { target, leaseId: claim.leaseId },
        record: claim.record,
      })),
    };
  }

  /**
   * Moves a tracked request's next poll to now (Redis's clock), and wakes the target's pollers. False when
   * there is none to move: the request is not tracked, or its poll is due already.
   */
  async pollNow(request: { requestId: string; target: string }): Promise<boolean> {
    const moved = await pollNowScript.run(this.#redis, {
      keys: { due: this.#keys.targetDue(request.target) },
      args: { requestId: request.requestId, dueChannel: this.#keys.dueChanges, target: request.target },
    });
    return moved === 1;
  }

  /** Up to `max` of a target's tracked requests (its due set), soonest due first. */
  async trackedRequestIds(target: string, max: number): Promise<string[]> {
    return this.#redis.zrange(this.#keys.targetDue(target), 0, max - 1);
  }

  /** Takes a request whose record is gone out of its target's due set. */
  async untrack(target: string, requestId: string): Promise<void> {
    await this.#redis.zrem(this.#keys.targetDue(target), requestId);
  }

  /**
   * Hands claimed polls back, due now, with their slots (a worker stopping before it polled them), and
   * wakes their targets' pollers in the other workers.
   */
  async releaseClaims(claims: readonly Pick<ClaimedPoll, 'requestId' | 'slot'>[]): Promise<void> {
    if (claims.length === 0) return;
    const now = await this.clock.now();
    const pipeline = this.#redis.pipeline();
    for (const claim of claims) {
      pipeline.zadd(this.#keys.targetDue(claim.slot.target), 'XX', now, claim.requestId);
      pipeline.zrem(this.#keys.targetInFlight(claim.slot.target), claim.slot.leaseId);
    }
    for (const target of new Set(claims.map((claim) => claim.slot.target))) {
      pipeline.publish(this.#keys.dueChanges, target);
    }
    await pipeline.exec();
  }

  /**
   * The terminal transition, at Redis's time: outcome, `request.completed`, batch counters and, for the last
   * request of a batch, `batch.completed`, in one atomic step that happens at most once per request.
   */
  async complete(
    spec: RequestIdentity,
    facts: TrackedFacts,
    completion: Completion,
    options: { slot?: CallSlot; countPoll?: boolean } = {},
  ): Promise<CompleteResult> {
    const fields: Record<string, string> = {};
    const event: Omit<RequestCompletedEvent, 'polls' | 'occurredAt' | 'finishedAt'> = {
      id: eventIds.requestCompleted(spec.requestId),
      type: 'request.completed',
      ...identityOf(spec),
      outcome: completion.outcome,
      jobResults: completion.jobResults ?? [],
      createdAt: isoTime(spec.createdAt),
    };
    if (facts.job) event.job = facts.job;
    if (facts.resolved && facts.resolved.length > 0) {
      event.resolved = facts.resolved;
      fields.resolved = JSON.stringify(facts.resolved);
    }
    if (facts.dialect) {
      event.dialect = facts.dialect;
      fields.dialect = facts.dialect;
    }
    if (facts.submittedAt !== undefined) event.submittedAt = isoTime(facts.submittedAt);
    if (completion.jobState) {
      event.jobState = completion.jobState;
      fields.jobState = JSON.stringify(completion.jobState);
    }
    if (completion.jobResults) fields.jobResults = JSON.stringify(completion.jobResults);
    if (completion.error) {
      event.error = completion.error;
      fields.error = JSON.stringify(completion.error);
    }
    if (completion.response !== undefined && completion.response !== null) {
      event.response = completion.response as RequestCompletedEvent['response'];
      fields.response = JSON.stringify(completion.response);
    }
    return this.#scripts.run(completeRequestScript, {
      keys: {
        request: this.#keys.request(spec.requestId),
        events: this.#keys.events,
        due: this.#keys.targetDue(spec.target),
        ...this.#slotKeys(options.slot),
        ...(spec.batchId
          ? { batch: this.#keys.batch(spec.batchId), batchRequests: this.#keys.batchRequests(spec.batchId) }
          : {}),
      },
      args: {
        outcome: completion.outcome,
        fields: JSON.stringify(fields),
        event: JSON.stringify(event),
        retentionSeconds: this.#retentionSeconds,
        leaseId: options.slot?.leaseId ?? '',
        countPoll: options.countPoll ? '1' : '0',
        requestId: spec.requestId,
        batchEvent: spec.batchId ? JSON.stringify(batchCompletedEventBase(spec.batchId)) : '',
        outcomes: JSON.stringify(requestOutcomes),
      },
    });
  }

  /** The leases key of a slot's target, for the scripts that release it; none without a slot. */
  #slotKeys(slot: CallSlot | undefined): { inFlight?: string } {
    return slot ? { inFlight: this.#keys.targetInFlight(slot.target) } : {};
  }

  #ttlUntil(deadlineAt: number): number {
    return Math.max(1, Math.ceil((deadlineAt - this.#now()) / 1000)) + this.#retentionSeconds;
  }
}

function identityOf(spec: RequestIdentity) {
  return {
    requestId: spec.requestId,
    ...(spec.batchId === undefined ? {} : { batchId: spec.batchId }),
    target: spec.target,
    method: spec.method,
    path: spec.path,
    ...(spec.metadata === undefined ? {} : { metadata: spec.metadata }),
    ...(spec.submittedBy === undefined ? {} : { submittedBy: spec.submittedBy }),
  };
}

function decodeRequest(hash: Record<string, string>): StoredRequest | undefined {
  if (Object.keys(hash).length === 0) return undefined;
  const record = requestHashSchema.parse(hash);
  const { body: _body, ...spec } = record.spec;
  const view: StoredRequest = {
    ...spec,
    status: record.status,
    jobResults: record.jobResults ?? [],
    polls: record.polls,
    submitAttempts: record.submitAttempts,
  };
  if (record.outcome !== undefined) view.outcome = record.outcome;
  if (record.job !== undefined) view.job = record.job;
  if (record.dialect !== undefined) view.dialect = record.dialect;
  if (record.jobState !== undefined) view.jobState = record.jobState;
  if (record.error !== undefined) view.error = record.error;
  if (record.response !== undefined) view.response = record.response;
  if (record.resolved !== undefined) view.resolved = record.resolved;
  if (record.submittedAt !== undefined) view.submittedAt = record.submittedAt;
  if (record.finishedAt !== undefined) view.finishedAt = record.finishedAt;
  return view;
}
