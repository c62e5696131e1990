import { errorCodes, JobFailure } from './errors.js';
import { JobClock } from './job-clock.js';
import type { Random } from './random.js';
import type { AnswerFault, JobOutcome, JobPlan } from './scenario.js';
import { waitUntil } from './wait.js';

/** The failing task's reason of an aborted job whose scenario gives no `message`. */
export const defaultAbortReason = 'The job was aborted by user admin.';

/** `aiqum`: a Unified Manager job (key); `ontap`: an ONTAP job behind the gateway (uuid). */
export type JobKind = 'aiqum' | 'ontap';

export interface JobResult {
  name: string;
  value: string;
}

export interface JobSubmission {
  kind: JobKind;
  name: string;
  type: string;
  clusterUuid?: string;
  plan: JobPlan;
  correlationId: string | undefined;
  method: string;
  path: string;
  /** Runs when the job ends with a non-ERROR outcome; throws {@link JobFailure} to fail it. */
  effect: () => JobResult[];
}

export interface SimJob {
  readonly kind: JobKind;
  /** The AIQUM job key, or the ONTAP job uuid. */
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly clusterUuid: string | undefined;
  readonly correlationId: string | undefined;
  readonly method: string;
  readonly path: string;
  readonly submitTime: number;
  readonly endTime: number;
  /** When an administrator aborts the job (planned ABORTED): it reports `aborting` from then until its end. */
  readonly abortTime: number | undefined;
  /** Keys of the job's two tasks (checks, then the operation); none for ONTAP jobs. */
  readonly taskKeys: readonly string[];
  readonly planned: JobOutcome;
  readonly plannedMessage: string | undefined;
  /** What an AIQUM job reports as its state instead of its real one (a scenario's `job.state`). */
  readonly reportedState: string | undefined;
  settled: boolean;
  outcome: JobOutcome | undefined;
  /** Why the job failed or was aborted (its failing task's `failure_reason`), or its docs-dialect message. */
  message: string | undefined;
  errorCode: string | undefined;
  results: JobResult[];
  applied: boolean;
  /** What spoiled or replaced the answer of the write that created the job. */
  responseFault: AnswerFault | undefined;
  /** A poll delivered the job's end (unspoiled by a fault) to its client. */
  endSeen: boolean;
  effect: (() => JobResult[]) | undefined;
}

/** Counts by lifecycle: RUNNING (aborting included) or the outcome. */
export type JobCounts = Record<'RUNNING' | JobOutcome, number>;

/**
 * All jobs, their planned ends and their waiters. A job's state derives from the clock; its side effect
 * runs once, in end-time order, when the {@link JobClock} settles it.
 */
export class JobStore {
  readonly #jobs = new Map<string, SimJob>();
  readonly #order: SimJob[] = [];
  /** Ground-truth reports ask for every request's jobs: a scan of all jobs each time would be quadratic. */
  readonly #byCorrelationId = new Map<string, SimJob[]>();
  /** Woken when a job ends. */
  readonly #endWaiters = new Map<string, Set<() => void>>();
  /** Woken when a job's state changes: when it ends, and when an aborted job starts aborting. */
  readonly #changeWaiters = new Map<string, Set<() => void>>();
  readonly #clock: JobClock;
  readonly #now: () => number;
  readonly #ids: Random;
  readonly #keyPrefix: string;
  readonly #purgeMs: number;
  readonly #counts: JobCounts = {
    RUNNING: 0,
    NORMAL: 0,
    WARNING: 0,
    PARTIAL_FAILURES: 0,
    ERROR: 0,
    ABORTED: 0,
  };
  #seq = 0;

  constructor(options: { now: () => number; ids: Random; ontapPurgeMs: number }) {
    this.#now = options.now;
    this.#ids = options.ids;
    this.#purgeMs = options.ontapPurgeMs;
    this.#keyPrefix = `${this.#ids.hex(16)}:-${this.#ids.hex(8)}:${this.#ids.hex(11)}`;
    this.#clock = new JobClock(this.#now, (id, at) => this.#due(id, at));
  }

  submit(submission: JobSubmission): SimJob {
    const submitTime = this.#now();
    const endTime = submitTime + submission.plan.durationMs;
    let id: string;
    let taskKeys: string[] = [];
    if (submission.kind === 'aiqum') {
      // AIQUM draws job and task keys from one counter: a job's tasks follow its key.
      id = this.#nextKey();
      taskKeys = [this.#nextKey(), this.#nextKey()];
    } else {
      id = this.#ids.uuid();
    }
    const abortTime =
      submission.plan.outcome === 'ABORTED'
        ? submitTime + Math.floor(submission.plan.durationMs / 2)
        : undefined;
    const job: SimJob = {
      kind: submission.kind,
      id,
      name: submission.name,
      type: submission.type,
      clusterUuid: submission.clusterUuid,
      correlationId: submission.correlationId,
      method: submission.method,
      path: submission.path,
      submitTime,
      endTime,
      abortTime,
      taskKeys,
      planned: submission.plan.outcome,
      plannedMessage: submission.plan.message,
      reportedState: submission.plan.state,
      settled: false,
      outcome: undefined,
      message: undefined,
      errorCode: undefined,
      results: [],
      applied: false,
      responseFault: undefined,
      endSeen: false,
      effect: submission.effect,
    };
    this.#jobs.set(id, job);
    this.#order.push(job);
    if (job.correlationId !== undefined) {
      const sameId = this.#byCorrelationId.get(job.correlationId);
      if (sameId) sameId.push(job);
      else this.#byCorrelationId.set(job.correlationId, [job]);
    }
    this.#counts.RUNNING++;
    if (abortTime !== undefined && abortTime < endTime) this.#clock.schedule(id, abortTime);
    this.#clock.schedule(id, endTime);
    return job;
  }

  /** Runs the side effects of every job whose end time has passed. */
  settleDue(): void {
    this.#clock.settle();
  }

  get(id: string): SimJob | undefined {
    return this.#jobs.get(id);
  }

  /** ONTAP deletes a finished job some time after it ends; later polls answer 404. */
  isPurged(job: SimJob): boolean {
    return job.kind === 'ontap' && job.settled && this.#now() >= job.endTime + this.#purgeMs;
  }

  /** Jobs of one kind, newest first. */
  *newestFirst(kind: JobKind): Generator<SimJob> {
    for (let i = this.#order.length - 1; i >= 0; i--) {
      const job = this.#order[i];
      if (job?.kind === kind) yield job;
    }
  }

  /** Jobs created by writes with this `X-Correlation-Id`, oldest first. */
  byCorrelationId(correlationId: string): readonly SimJob[] {
    return this.#byCorrelationId.get(correlationId) ?? [];
  }

  get counts(): Readonly<JobCounts> {
    return this.#counts;
  }

  get total(): number {
    return this.#order.length;
  }

  /** Resolves once the job has ended, after `ms`, or when `signal` aborts. */
  waitForEnd(job: SimJob, ms: number, signal: AbortSignal): Promise<void> {
    return job.settled ? Promise.resolve() : this.#wait(this.#endWaiters, job, ms, signal);
  }

  /** Resolves at the job's next state change (aborting, or its end), after `ms`, or when `signal` aborts. */
  waitForChange(job: SimJob, ms: number, signal: AbortSignal): Promise<void> {
    return job.settled ? Promise.resolve() : this.#wait(this.#changeWaiters, job, ms, signal);
  }

  /** When the job's state last changed as of now: its submission, the start of its abort, or its end. */
  lastChange(job: SimJob): number {
    if (job.settled) return job.endTime;
    const now = this.#now();
    return job.abortTime !== undefined && job.abortTime <= now ? job.abortTime : job.submitTime;
  }

  close(): void {
    this.#clock.close();
  }

  #nextKey(): string {
    return `${this.#keyPrefix}:-${(this.#seq++).toString(16)}`;
  }

  #wait(waiters: Map<string, Set<() => void>>, job: SimJob, ms: number, signal: AbortSignal): Promise<void> {
    return waitUntil(ms, signal, (wake) => {
      let set = waiters.get(job.id);
      if (!set) {
        set = new Set();
        waiters.set(job.id, set);
      }
      set.add(wake);
      return () => {
        const current = waiters.get(job.id);
        current?.delete(wake);
        if (current?.size === 0) waiters.delete(job.id);
      };
    });
  }

  #wake(waiters: Map<string, Set<() => void>>, id: string): void {
    const set = waiters.get(id);
    if (!set) return;
    waiters.delete(id);
    for (const wake of set) wake();
  }

  /** A scheduled moment of a job: its end, or (earlier) the start of its abort. */
  #due(id: string, at: number): void {
    const job = this.#jobs.get(id);
    if (!job || job.settled) return;
    if (at < job.endTime) this.#wake(this.#changeWaiters, id);
    else this.#settle(job);
  }

  #settle(job: SimJob): void {
    const effect = job.effect;
    job.effect = undefined;
    if (job.planned === 'ABORTED') {
      job.outcome = 'ABORTED';
      job.message = job.plannedMessage ?? defaultAbortReason;
    } else if (job.planned === 'ERROR' || effect === undefined) {
      job.outcome = 'ERROR';
      job.message = job.plannedMessage ?? 'The job failed (simulated failure).';
    } else {
      try {
        job.results = effect();
        job.applied = true;
        job.outcome = job.planned;
        if (job.planned !== 'NORMAL')
          job.message = job.plannedMessage ?? `The job ended with ${job.planned}.`;
      } catch (error) {
        if (!(error instanceof JobFailure)) throw error;
        job.outcome = 'ERROR';
        job.message = error.message;
        job.errorCode = error.code;
      }
    }
    if (job.outcome === 'ERROR' || job.outcome === 'ABORTED') job.errorCode ??= errorCodes.jobFailed;
    job.settled = true;
    this.#counts.RUNNING--;
    this.#counts[job.outcome]++;
    this.#wake(this.#endWaiters, job.id);
    this.#wake(this.#changeWaiters, job.id);
  }
}
