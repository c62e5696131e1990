import {
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
  type StoredBatch,
  type StoredRequest,
} from '@aiqum-jobs/contracts';
import { z } from 'zod';
import {
  acceptJobScript,
  beginSubmissionScript,
  claimPollsScript,
  completeRequestScript,
  createRequestsScript,
  recordPollErrorScript,
  recordPollFailureScript,
  recordPollScript,
  requeueSubmissionScript,
} from './request-scripts.js';
import { ScriptBatcher } from './script-batcher.js';
import { limiterWindow, type TargetLimits } from './target-limiter.js';

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

const submissionVerdicts = [
  'missing',
  'completed',
  'tracking',
  'busy',
  'interrupted',
  'limited',
  'claimed',
] as const;

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

const jsonField = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, context) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        context.addIssue({ code: 'custom', message: 'is not JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

const optionalInt = z.coerce.number().int().optional();

/** The request hash as Redis holds it: every value a string, JSON where structured. */
const requestHashSchema = z.object({
  spec: jsonField(requestSpecSchema),
  status: requestStatusSchema,
  outcome: requestOutcomeSchema.optional(),
  job: jsonField(jobRefSchema).optional(),
  dialect: jobDialectSchema.optional(),
  jobState: jsonField(jobStateSchema).optional(),
  jobResults: jsonField(z.array(jobResultSchema)).optional(),
  error: jsonField(requestErrorSchema).optional(),
  response: jsonField(z.json()).optional(),
  resolved: jsonField(z.array(resolvedReferenceSchema)).optional(),
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

const emptyAsUndefined = z.literal('').transform(() => undefined);

/** What a claimed poll needs of the record. */
const claimedRecordSchema = z.object({
  status: requestStatusSchema,
  spec: jsonField(requestSpecSchema),
  job: jsonField(jobRefSchema),
  dialect: z.union([emptyAsUndefined, jobDialectSchema]),
  jobState: z.union([emptyAsUndefined, jsonField(jobStateSchema)]),
  submittedAt: z.union([emptyAsUndefined, z.coerce.number().int()]),
  resolved: z.union([emptyAsUndefined, jsonField(z.array(resolvedReferenceSchema))]),
  polls: z.coerce.number().int().default(0),
  pollErrors: z.coerce.number().int().default(0),
});
export type ClaimedRecord = z.output<typeof claimedRecordSchema>;

const claimReplySchema = z.tuple([z.number()], z.union([z.string(), z.number()]));

/** `beginSubmission`'s reply: verdict, attempts, ms, then the state fields (nil when unset, or left out). */
const beginSubmissionReplySchema = z.tuple([
  z.enum(submissionVerdicts),
  z.number(),
  z.number(),
  jsonField(jobRefSchema).nullish(),
  jobDialectSchema.nullish(),
  jsonField(jobStateSchema).nullish(),
  z.coerce.number().int().nullish(),
]);

const batchHashSchema = z.object({
  total: z.coerce.number().int(),
  done: z.coerce.number().int().default(0),
  tracking: z.coerce.number().int().default(0),
  createdAt: z.coerce.number().int(),
  finishedAt: optionalInt,
  metadata: jsonField(
    z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  ).optional(),
  submittedBy: z.string().min(1).optional(),
});

export interface RequestStoreOptions {
  redis: RedisConnection;
  keys: RedisKeys;
  /** How long finished requests and batches are kept, in seconds (events: see `EventStreamTrimmer`). */
  retentionSeconds: number;
  /** @defaultValue `Date.now` */
  now?: () => number;
}

/** Where requests and batches live in Redis, and the only code that changes them. */
export class RequestStore {
  readonly #redis: RedisConnection;
  readonly #keys: RedisKeys;
  readonly #retentionSeconds: number;
  readonly #now: () => number;
  /** The state-machine scripts of this process, sent together when they meet. */
  readonly #scripts: ScriptBatcher;

  constructor(options: RequestStoreOptions) {
    this.#redis = options.redis;
    this.#scripts = new ScriptBatcher(options.redis, [
      beginSubmissionScript,
      requeueSubmissionScript,
      acceptJobScript,
      recordPollScript,
      recordPollErrorScript,
      recordPollFailureScript,
      claimPollsScript,
      completeRequestScript,
    ]);
    this.#keys = options.keys;
    this.#retentionSeconds = options.retentionSeconds;
    this.#now = options.now ?? Date.now;
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
    const keys: string[] = [];
    const args: Array<string | number> = [batch ? '1' : '0'];
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
      keys.push(this.#keys.batch(batch.batchId), this.#keys.batchRequests(batch.batchId));
      args.push(JSON.stringify(fields), this.#ttlUntil(Math.max(...specs.map((spec) => spec.deadlineAt))));
    } else {
      args.push('', 0);
    }
    for (const spec of specs) {
      // The body travels only in the queue job, which the worker reads anyway: the record (kept for the
      // retention) stays small, and views never show the body.
      const { body: _body, ...withoutBody } = spec;
      keys.push(this.#keys.request(spec.requestId));
      args.push(spec.requestId, JSON.stringify(withoutBody), this.#ttlUntil(spec.deadlineAt));
    }
    await createRequestsScript.run(this.#redis, keys, args);
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
    const reply = await this.#scripts.run(
      beginSubmissionScript,
      [
        this.#keys.request(requestId),
        this.#keys.targetInFlight(submission.target),
        this.#keys.targetRecentCalls(submission.target),
      ],
      [
        submission.token,
        submission.claimLeaseMs,
        submission.allowResubmit ? '1' : '0',
        submission.submitLeaseMs,
        submission.limits.maxConcurrent,
        callsPerWindow,
        windowMs,
        submission.leaseId,
      ],
    );
    const [verdict, submitAttempts, ms, job, dialect, jobState, submittedAt] =
      beginSubmissionReplySchema.parse(reply);
    const state: Omit<RequestState, 'status'> = {};
    if (job) state.job = job;
    if (dialect) state.dialect = dialect;
    if (jobState) state.jobState = jobState;
    if (submittedAt !== undefined && submittedAt !== null) state.submittedAt = submittedAt;
    return { verdict, submitAttempts, ms, state };
  }

  /** submitting → queued by the claim holder, for a submission that provably never reached AIQUM. */
  async requeueSubmission(requestId: string, token: string, slot?: CallSlot): Promise<string> {
    return z
      .string()
      .parse(
        await this.#scripts.run(
          requeueSubmissionScript,
          [this.#keys.request(requestId), this.#slotKey(requestId, slot)],
          [token, slot?.leaseId ?? ''],
        ),
      );
  }

  /** submitting → tracking by the claim holder, with `request.accepted`; releases the call slot. */
  async acceptJob(
    spec: RequestIdentity,
    job: JobRef,
    submittedAt: number,
    token: string,
    slot: CallSlot | undefined,
    firstPollAt: number,
    resolved: readonly ResolvedReference[] = [],
  ): Promise<string> {
    const event: RequestAcceptedEvent = {
      id: eventIds.requestAccepted(spec.requestId),
      type: 'request.accepted',
      occurredAt: isoTime(submittedAt),
      ...identityOf(spec),
      job,
      ...(resolved.length > 0 ? { resolved: [...resolved] } : {}),
    };
    const batchKey = spec.batchId ? this.#keys.batch(spec.batchId) : this.#keys.request(spec.requestId);
    const result = await this.#scripts.run(
      acceptJobScript,
      [
        this.#keys.request(spec.requestId),
        this.#keys.events,
        batchKey,
        this.#slotKey(spec.requestId, slot),
        this.#keys.targetDue(spec.target),
      ],
      [
        JSON.stringify(job),
        submittedAt,
        JSON.stringify(event),
        spec.batchId ? '1' : '0',
        token,
        slot?.leaseId ?? '',
        Math.round(firstPollAt),
        spec.requestId,
        resolved.length > 0 ? JSON.stringify(resolved) : '',
        this.#keys.dueChanges,
        spec.target,
      ],
    );
    return z.string().parse(result);
  }

  /**
   * Records a poll of a tracked Job, releases its slot and schedules the next poll at `nextAt`; returns the
   * status after it and the poll count.
   */
  async recordPoll(
    requestId: string,
    jobState: JobState,
    dialect: JobDialectName | undefined,
    slot: CallSlot,
    nextAt: number,
  ): Promise<{ status: string; polls: number }> {
    const [status, polls] = z
      .tuple([z.string(), z.number()])
      .parse(
        await this.#scripts.run(
          recordPollScript,
          [
            this.#keys.request(requestId),
            this.#keys.targetInFlight(slot.target),
            this.#keys.targetDue(slot.target),
          ],
          [
            JSON.stringify(jobState),
            dialect ?? '',
            slot.leaseId,
            Math.round(nextAt),
            requestId,
            this.#keys.dueChanges,
            slot.target,
          ],
        ),
      );
    return { status, polls };
  }

  /**
   * Counts a failed poll, releases its slot and schedules the next try at `nextAt`; returns the status and
   * how many polls in a row failed.
   */
  async recordPollError(
    requestId: string,
    slot: CallSlot,
    nextAt: number,
  ): Promise<{ status: string; pollErrors: number }> {
    const [status, pollErrors] = z
      .tuple([z.string(), z.number()])
      .parse(
        await this.#scripts.run(
          recordPollErrorScript,
          [
            this.#keys.request(requestId),
            this.#keys.targetInFlight(slot.target),
            this.#keys.targetDue(slot.target),
          ],
          [slot.leaseId, Math.round(nextAt), requestId, this.#keys.dueChanges, slot.target],
        ),
      );
    return { status, pollErrors };
  }

  /**
   * Counts a poll that failed inside the worker (not an AIQUM answer), releases its slot and schedules the
   * next try at `nextAt`; returns the status and how many such failures came in a row.
   */
  async recordPollFailure(
    requestId: string,
    slot: CallSlot,
    nextAt: number,
  ): Promise<{ status: string; pollFailures: number }> {
    const [status, pollFailures] = z
      .tuple([z.string(), z.number()])
      .parse(
        await this.#scripts.run(
          recordPollFailureScript,
          [
            this.#keys.request(requestId),
            this.#keys.targetInFlight(slot.target),
            this.#keys.targetDue(slot.target),
          ],
          [slot.leaseId, Math.round(nextAt), requestId, this.#keys.dueChanges, slot.target],
        ),
      );
    return { status, pollFailures };
  }

  /**
   * Claims up to `max` due polls of a target, as many as its limits allow, each with a call slot and a
   * claim that makes it due again after `claimMs` (a worker that dies with it loses it then).
   */
  async claimPolls(target: string, options: ClaimPollsOptions): Promise<ClaimedPolls> {
    const { windowMs, callsPerWindow } = limiterWindow(options.limits);
    const reply = await this.#scripts.run(
      claimPollsScript,
      [this.#keys.targetDue(target), this.#keys.targetInFlight(target), this.#keys.targetRecentCalls(target)],
      [
        options.max,
        options.claimMs,
        options.leaseMs,
        options.limits.maxConcurrent,
        callsPerWindow,
        windowMs,
        options.leaseIdPrefix,
        this.#keys.request(''),
      ],
    );
    const [ms, ...flat] = claimReplySchema.parse(reply);
    const claims: ClaimedPoll[] = [];
    for (let index = 0; index + 10 < flat.length; index += 11) {
      const [
        requestId,
        leaseId,
        status,
        spec,
        job,
        dialect,
        jobState,
        submittedAt,
        resolved,
        polls,
        pollErrors,
      ] = flat.slice(index, index + 11).map(String);
      const parsed = claimedRecordSchema.safeParse({
        status,
        spec,
        job,
        dialect,
        jobState,
        submittedAt,
        resolved,
        polls,
        pollErrors,
      });
      claims.push({
        requestId: requestId ?? '',
        slot: { target, leaseId: leaseId ?? '' },
        record: parsed.success ? parsed.data : undefined,
      });
    }
    return { ms, claims };
  }

  /**
   * Moves a tracked request's next poll to now, and wakes the target's pollers. False when there is none to
   * move: the request is not tracked, or its poll is due or running already.
   */
  async pollNow(request: { requestId: string; target: string }): Promise<boolean> {
    const changed = await this.#redis.zadd(
      this.#keys.targetDue(request.target),
      'XX',
      'LT',
      'CH',
      this.#now(),
      request.requestId,
    );
    if (Number(changed) !== 1) return false;
    await this.#redis.publish(this.#keys.dueChanges, request.target);
    return true;
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
    const pipeline = this.#redis.pipeline();
    const now = this.#now();
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
   * The terminal transition: outcome, `request.completed`, batch counters and, for the last request of a
   * batch, `batch.completed`, in one atomic step that happens at most once per request.
   */
  async complete(
    spec: RequestIdentity,
    facts: TrackedFacts,
    completion: Completion,
    options: { slot?: CallSlot; countPoll?: boolean } = {},
  ): Promise<CompleteResult> {
    const now = this.#now();
    const nowIso = isoTime(now);
    const fields: Record<string, string> = {};
    const event: Omit<RequestCompletedEvent, 'polls'> = {
      id: eventIds.requestCompleted(spec.requestId),
      type: 'request.completed',
      occurredAt: nowIso,
      ...identityOf(spec),
      outcome: completion.outcome,
      jobResults: completion.jobResults ?? [],
      createdAt: isoTime(spec.createdAt),
      finishedAt: nowIso,
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
    const batchKeys = spec.batchId
      ? [this.#keys.batch(spec.batchId), this.#keys.batchRequests(spec.batchId)]
      : [this.#keys.request(spec.requestId), this.#keys.request(spec.requestId)];
    const result = await this.#scripts.run(
      completeRequestScript,
      [
        this.#keys.request(spec.requestId),
        this.#keys.events,
        ...batchKeys,
        this.#slotKey(spec.requestId, options.slot),
        this.#keys.targetDue(spec.target),
      ],
      [
        completion.outcome,
        JSON.stringify(fields),
        JSON.stringify(event),
        now,
        nowIso,
        this.#retentionSeconds,
        spec.batchId ? '1' : '0',
        spec.batchId ?? '',
        options.slot?.leaseId ?? '',
        options.countPoll ? '1' : '0',
        spec.requestId,
      ],
    );
    return z.enum(['completed', 'already-completed', 'missing']).parse(result);
  }

  /** The leases key of a slot's target; scripts given no slot get the request's own key, untouched. */
  #slotKey(requestId: string, slot: CallSlot | undefined): string {
    return slot ? this.#keys.targetInFlight(slot.target) : this.#keys.request(requestId);
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
