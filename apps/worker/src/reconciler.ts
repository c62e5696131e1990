import { AiqumError, type JobSnapshot, normalizeJob } from '@aiqum-jobs/aiqum-client';
import {
  type CreatedObject,
  createdObjectOfIdentity,
  type JobRef,
  jobResultValue,
} from '@aiqum-jobs/contracts';
import type { RequestStore, TimeSpan, WriteInDoubt } from '@aiqum-jobs/core';
import { z } from 'zod';
import { type ClockOffset, clockOffsetOf, submittedSpan } from './clock-offset.js';
import { possibleJobsOfWrite } from './job-assignment.js';
import type { CreatedObjectSearch } from './name-resolver.js';
import { callLeaseMs, type Target } from './target-clients.js';

const jobsPath = '/api/management-server/jobs';
/** A candidate job still running is looked at again after this long. */
const runningRecheckMs = 2_000;
/** How far from its own time in doubt the writes and jobs that bear on a write's are looked for. */
const componentReachMs = 120_000;

const listedJobSchema = z.looseObject({
  key: z.string().min(1),
  submit_time: z.string().optional(),
  _links: z.looseObject({ self: z.looseObject({ href: z.string().min(1) }) }).optional(),
});

/** What reconciliation decided about a write whose answer was lost. */
export type ReconcileVerdict =
  /** Not yet: look again after `delayMs` (`reason` says why). */
  | { kind: 'wait'; delayMs: number; reason: string }
  /** The write's job: track it as if AIQUM had answered with it. */
  | { kind: 'track'; job: JobRef; found: string }
  /** AIQUM never received the write: it may be sent again. */
  | { kind: 'resubmit'; found: string }
  /** More than one explanation, or none that proves anything: the outcome stays unknown. */
  | { kind: 'unsettled'; found: string };

/**
 * Reads are safe to repeat: any failure but a refusal (a 4xx other than 429, which asking again will not
 * change) is tried again later.
 */
function mayReadAgain(error: AiqumError): boolean {
  const status = 'status' in error && typeof error.status === 'number' ? error.status : undefined;
  return status === undefined || status === 429 || status < 400 || status >= 500;
}

/**
 * When every write that could own a job of the time in doubt has been answered: each started before its
 * end (on AIQUM's clock, so within twice the skew on Redis's) and was answered within its claim's lease.
 * By then each such job has its owner recorded, or its write is in doubt too.
 */
export function answeredBy(target: Target, window: TimeSpan): number {
  return window.to + 2 * target.config.clockSkewMs + callLeaseMs(target.config, false);
}

/** A listed job's state: its snapshot, or why it cannot be read. */
export type ListedState = JobSnapshot | { phase: 'unreadable'; reason: string; results: readonly [] };

/** A listed job, classified. */
export interface Candidate {
  ref: JobRef;
  state: ListedState;
  /** When AIQUM says it was submitted (`submittedSpan`); undefined when it gave no time that parses. */
  submitted: TimeSpan | undefined;
}

/** SPEC's time format, with a numeric offset (`2019-11-15T09:57:22.000+00:00`). */
function aiqumTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/Z$/, '+00:00');
}

const describeJobs = (jobs: readonly Candidate[]) =>
  jobs.length === 0 ? 'no job of its own' : `jobs ${jobs.map((job) => job.ref.href).join(', ')}`;

function describeObject(created: CreatedObject, search: CreatedObjectSearch): string {
  const name = `${created.kind} "${created.reference.name ?? ''}"`;
  if (search.kind === 'found') return `${name} exists, key ${search.key}`;
  if (search.kind === 'many')
    return `${name} matches ${search.keys.length} objects (${search.keys.join(', ')})`;
  return `no ${name}`;
}

/** A span of Redis time, as ISO times. */
function describeSpan(span: TimeSpan): string {
  return `${new Date(span.from).toISOString()} to ${new Date(span.to).toISOString()}`;
}

const describeWrites = (writes: readonly WriteLookup[]) =>
  writes.length === 0
    ? ''
    : `; other writes in doubt then: ${writes.map((write) => write.requestId).join(', ')}`;

/**
 * Finds out what became of a write whose answer was lost (docs/RELIABILITY.md, "Reconciliation"): the jobs
 * AIQUM started while it was in doubt that no other request owns, the object it names, and the other writes
 * in doubt at the same time. It never guesses: a verdict other than `unsettled` follows from what it found.
 */
export class Reconciler {
  readonly #store: RequestStore;

  constructor(store: RequestStore) {
    this.#store = store;
  }

  /**
   * `window`: when the write was in doubt (Redis time); `now`: Redis's time. The caller holds a call slot
   * on the target for the calls made here.
   */
  async reconcile(input: {
    requestId: string;
    target: Target;
    created: CreatedObject;
    window: TimeSpan;
    now: number;
    signal?: AbortSignal;
  }): Promise<ReconcileVerdict> {
    const { requestId, target, created, window, now } = input;
    const skewMs = target.config.clockSkewMs;
    const leaseMs = callLeaseMs(target.config, false);
    const settledAt = answeredBy(target, window);
    if (now < settledAt) {
      return {
        kind: 'wait',
        delayMs: settledAt - now,
        reason: 'writes of the time in doubt still in flight',
      };
    }
    const component = await this.#writesOfComponent(requestId, target, window);
    // Jobs submitted since `now` (within the skew) may be of writes that began after the component was read.
    // Leaving a job out that it could not have started only weakens the proofs.
    const listed = { from: component.span.from, to: Math.min(component.span.to, now - skewMs) };
    let candidates: Candidate[];
    let offset: ClockOffset;
    let search: CreatedObjectSearch | undefined;
    try {
      ({ candidates, offset } = await this.#listJobs(requestId, target, listed, input.signal));
      // A running job it could have started has no results yet: its verdict waits for them.
      if (candidates.some((job) => job.state.phase === 'running' && startedWithin(job, window, offset))) {
        return { kind: 'wait', delayMs: runningRecheckMs, reason: 'a job of the time in doubt is running' };
      }
      search = await target.resolver.findCreated(created, input.signal);
    } catch (error) {
      if (!(error instanceof AiqumError)) throw error;
      if (mayReadAgain(error)) return { kind: 'wait', delayMs: runningRecheckMs, reason: error.message };
      return { kind: 'unsettled', found: `looking for its job failed: ${error.message}` };
    }
    if (search === undefined)
      return { kind: 'unsettled', found: 'its object cannot be searched for by name' };
    if (search.kind === 'error') {
      if (mayReadAgain(search.error))
        return { kind: 'wait', delayMs: runningRecheckMs, reason: search.error.message };
      return { kind: 'unsettled', found: `looking for its object failed: ${search.error.message}` };
    }
    const own = {
      requestId,
      span: window,
      resultName: created.resultName,
      keys: keysOf(search) ?? [],
    };
    const { others, readAgain } = await this.#lookUpOthers(
      target,
      created,
      search,
      component.writes,
      input.signal,
    );
    const verdict = decide(own, describeObject(created, search), candidates, others, offset);
    // Another write's lookup that failed may be what keeps the verdict from a proof: ask again.
    if (verdict.kind === 'unsettled' && readAgain !== undefined) {
      return { kind: 'wait', delayMs: runningRecheckMs, reason: readAgain };
    }
    // What it found may still change (a write of the component answered since, a lookup that failed now
    // answers): look again before giving up.
    if (verdict.kind === 'unsettled' && candidates.length > 0 && now < settledAt + 2 * leaseMs) {
      return { kind: 'wait', delayMs: leaseMs, reason: 'other writes in doubt are being reconciled' };
    }
    return verdict;
  }

  /**
   * The other writes in doubt that bear on this one's: those that could have started a job of its time in
   * doubt, then those that could have started a job one of them could have, and so on (up to
   * `componentReachMs` away), and the span of AIQUM time their jobs were submitted in. A write's job is
   * settled by every write and job of that component, and by none outside it.
   */
  async #writesOfComponent(
    requestId: string,
    target: Target,
    window: TimeSpan,
  ): Promise<{ writes: WriteInDoubt[]; span: TimeSpan }> {
    const skewMs = target.config.clockSkewMs;
    const reach = { from: window.from - componentReachMs, to: window.to + componentReachMs };
    let span = { from: window.from - skewMs, to: window.to + skewMs };
    for (;;) {
      // A write could have started a job of `span` when its own time in doubt comes within the skew of it.
      const writes = await this.#store.submissions.writesInDoubt(target.config.name, requestId, {
        from: span.from - skewMs,
        to: span.to + skewMs,
      });
      const grown = writes.reduce(
        (hull, write) => ({
          from: Math.max(reach.from, Math.min(hull.from, write.from - skewMs)),
          to: Math.min(reach.to, Math.max(hull.to, write.to + skewMs)),
        }),
        span,
      );
      if (grown.from === span.from && grown.to === span.to) return { writes, span };
      span = grown;
    }
  }

  /**
   * What each other write in doubt could have made: its object looked up by name (one lookup per object, the
   * write's own reused). A write whose lookup failed can own any job: it only weakens proofs. `readAgain`
   * names a lookup that failed for a reason asking again may not meet.
   */
  async #lookUpOthers(
    target: Target,
    created: CreatedObject,
    search: CreatedObjectSearch,
    inDoubt: readonly WriteInDoubt[],
    signal: AbortSignal | undefined,
  ): Promise<{ others: WriteLookup[]; readAgain: string | undefined }> {
    const searches = new Map<string, Promise<CreatedObjectSearch | undefined>>([
      [created.identity, Promise.resolve(search)],
    ]);
    const lookUp = (object: CreatedObject) => {
      let found = searches.get(object.identity);
      if (!found) {
        found = target.resolver.findCreated(object, signal);
        searches.set(object.identity, found);
      }
      return found;
    };
    const others: WriteLookup[] = [];
    let readAgain: string | undefined;
    for (const { requestId, from, to, object: identity } of inDoubt) {
      const lookup: WriteLookup = { requestId, span: { from, to } };
      const object = createdObjectOfIdentity(identity);
      const found = object ? await lookUp(object) : undefined;
      if (found?.kind === 'error' && mayReadAgain(found.error)) readAgain ??= found.error.message;
      const keys = keysOf(found);
      others.push(object && keys ? { ...lookup, resultName: object.resultName, keys } : lookup);
    }
    return { others, readAgain };
  }

  /**
   * The finished and running AIQUM jobs submitted during `span` (AIQUM time) that no other request owns, and
   * the offset of AIQUM's clock the owned ones measure.
   */
  async #listJobs(
    requestId: string,
    target: Target,
    span: TimeSpan,
    signal: AbortSignal | undefined,
  ): Promise<{ candidates: Candidate[]; offset: ClockOffset }> {
    const listed: Array<{ key: string; ref: JobRef; record: unknown; submitted: TimeSpan | undefined }> = [];
    for await (const record of target.client.list(jobsPath, {
      filters: { submit_time: `${aiqumTime(span.from)}..${aiqumTime(span.to)}` },
      schema: listedJobSchema,
      ...(signal ? { signal } : {}),
    })) {
      const href = record._links?.self.href ?? `${jobsPath}/${encodeURIComponent(record.key)}`;
      const ref: JobRef = { kind: 'aiqum', key: record.key, href, source: 'job.key' };
      listed.push({ key: record.key, ref, record, submitted: submittedSpan(record.submit_time) });
    }
    const owners = await this.#store.submissions.jobOwners(
      target.config.name,
      listed.map(({ key }) => key),
    );
    const offset = clockOffsetOf(
      listed.map((job, index) => ({ submitted: job.submitted, owner: owners[index] })),
      target.config.clockSkewMs,
    );
    // Only the jobs no other request owns are read: one in a state no dialect knows can be anyone's.
    const candidates = listed
      .filter((_, index) => {
        const owner = owners[index];
        return owner === undefined || owner.requestId === requestId;
      })
      .map(({ ref, record, submitted }): Candidate => ({ ref, submitted, state: listedState(ref, record) }));
    return { candidates, offset };
  }
}

/** A listed job's state, or why it cannot be read (it made, for all one knows, nothing). */
function listedState(ref: JobRef, record: unknown): ListedState {
  try {
    return normalizeJob(ref, record, { method: 'GET', path: jobsPath, status: 200, retryAfterMs: undefined });
  } catch (error) {
    if (!(error instanceof AiqumError)) throw error;
    return { phase: 'unreadable', reason: error.message, results: [] };
  }
}

/** A write in doubt, and what its object's lookup found it could have made. */
export interface WriteLookup {
  requestId: string;
  /** When it was in doubt (Redis time). */
  span: TimeSpan;
  /** The `job_results` entry naming its object; undefined when it names none that can be looked up. */
  resultName?: string;
  /** The keys of the objects its name finds (none when it found none); undefined when it cannot tell. */
  keys?: readonly string[];
}

function keysOf(search: CreatedObjectSearch | undefined): readonly string[] | undefined {
  if (search?.kind === 'found') return [search.key];
  if (search?.kind === 'none') return [];
  if (search?.kind === 'many') return search.keys;
  return undefined;
}

/** Whether a job may have been submitted while a write was in doubt (AIQUM's clock, less its offset). */
function startedWithin(job: Candidate, span: TimeSpan, offset: ClockOffset): boolean {
  const { submitted } = job;
  return (
    submitted === undefined ||
    (submitted.to >= span.from + offset.min && submitted.from <= span.to + offset.max)
  );
}

/**
 * The verdict on `own` (candidates: unowned jobs of its component, the running ones not its own; others:
 * the other writes in doubt of that component). A write could have started a job submitted while it was in
 * doubt whose results name no object of its kind, or one its name finds: a write makes the object it names,
 * or nothing. Each candidate was started by one of the writes, each write started one at most
 * (`possibleJobsOfWrite`). When every way to give each candidate its write gives this write the same job,
 * it tracks that job; when it gives it none, or no candidate could be its job at all, AIQUM never received
 * it (a job no one else owns would be in the list); anything else is unsettled. A job that names nothing of
 * the write's kind and did not fail is not tracked: a create that succeeds names what it made.
 */
export function decide(
  own: WriteLookup & { resultName: string },
  objectFound: string,
  candidates: readonly Candidate[],
  others: readonly WriteLookup[],
  offset: ClockOffset,
): ReconcileVerdict {
  const writes = [own, ...others];
  const fits = (write: WriteLookup, job: Candidate): boolean => {
    if (!startedWithin(job, write.span, offset)) return false;
    if (write.resultName === undefined || write.keys === undefined) return true;
    const made = jobResultValue(job.state.results, write.resultName);
    return made === undefined || write.keys.includes(made);
  };
  // A job none of them could have started is another client's (a user of Unified Manager's own pages):
  // it is left out, and the proofs rest on the others being theirs.
  const jobs = candidates.filter((job) => writes.some((write) => fits(write, job)));
  const couldStart = (writeIndex: number, jobIndex: number): boolean => {
    const write = writes[writeIndex];
    const job = jobs[jobIndex];
    return write !== undefined && job !== undefined && fits(write, job);
  };
  // What it found: the jobs it could have started and the other writes that could have started one of them.
  const ownJobs = jobs.filter((job) => fits(own, job));
  const rivals = others.filter((write) => ownJobs.some((job) => fits(write, job)));
  const found = `in doubt ${describeSpan(own.span)}: ${describeJobs(ownJobs)}; ${objectFound}${describeWrites(rivals)}`;
  // No job it could have started: AIQUM never received it, whoever started the others.
  if (ownJobs.length === 0) return { kind: 'resubmit', found };
  const options = possibleJobsOfWrite(writes.length, jobs.length, couldStart);
  const [only] = options;
  if (only === undefined || options.length > 1) return { kind: 'unsettled', found };
  if (only === 'none') return { kind: 'resubmit', found };
  const job = jobs[only];
  const state = job?.state;
  if (!job || state?.phase !== 'terminal') return { kind: 'unsettled', found };
  const madeIt = jobResultValue(state.results, own.resultName) !== undefined;
  const failed = state.outcome === 'ERROR' || state.outcome === 'ABORTED';
  if (!madeIt && !failed) return { kind: 'unsettled', found };
  return { kind: 'track', job: job.ref, found };
}
