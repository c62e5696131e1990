import { AiqumError, type JobSnapshot, normalizeJob } from '@aiqum-jobs/aiqum-client';
import type { CreatedObject, JobRef } from '@aiqum-jobs/contracts';
import type { RequestStore, TimeSpan, WriteInDoubt } from '@aiqum-jobs/core';
import { z } from 'zod';
import type { CreatedObjectSearch } from './name-resolver.js';
import { callLeaseMs, type Target } from './target-clients.js';

const jobsPath = '/api/management-server/jobs';
/** A candidate job still running is looked at again after this long. */
const runningRecheckMs = 2_000;

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

/** A listed job, classified. */
interface Candidate {
  ref: JobRef;
  snapshot: JobSnapshot;
  /** AIQUM's `submit_time` (epoch ms, AIQUM's clock); undefined when it gave none that parses. */
  submittedAt: number | undefined;
}

/** SPEC's time format, with a numeric offset (`2019-11-15T09:57:22.000+00:00`). */
function aiqumTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/Z$/, '+00:00');
}

/** The key a job's results name the object it made by (`lunKey`...), compared case-insensitively. */
function resultKey(snapshot: JobSnapshot, resultName: string): string | undefined {
  const wanted = resultName.toLowerCase();
  return snapshot.results.find((result) => result.name.toLowerCase() === wanted)?.value;
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

const describeWrites = (writes: readonly WriteInDoubt[]) =>
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
    let candidates: Candidate[];
    let search: CreatedObjectSearch | undefined;
    try {
      candidates = await this.#unownedJobs(requestId, target, window, input.signal);
      if (candidates.some((job) => job.snapshot.phase === 'running')) {
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
    const inDoubt = await this.#store.submissions.writesInDoubt(target.config.name, requestId, {
      from: window.from - 2 * skewMs,
      to: window.to + 2 * skewMs,
    });
    const verdict = decide(created, candidates, search, inDoubt, skewMs);
    // Another write in doubt may still claim a job of the window as its own: give it the time to.
    if (verdict.kind === 'unsettled' && candidates.length > 0 && now < settledAt + 2 * leaseMs) {
      return { kind: 'wait', delayMs: leaseMs, reason: 'other writes in doubt are being reconciled' };
    }
    return verdict;
  }

  /** The finished and running AIQUM jobs submitted while the write was in doubt that no other request owns. */
  async #unownedJobs(
    requestId: string,
    target: Target,
    window: TimeSpan,
    signal: AbortSignal | undefined,
  ): Promise<Candidate[]> {
    const skewMs = target.config.clockSkewMs;
    const listed: Array<{ ref: JobRef; body: unknown; submittedAt: number | undefined }> = [];
    for await (const record of target.client.list(jobsPath, {
      filters: { submit_time: `${aiqumTime(window.from - skewMs)}..${aiqumTime(window.to + skewMs)}` },
      schema: listedJobSchema,
      ...(signal ? { signal } : {}),
    })) {
      const href = record._links?.self.href ?? `${jobsPath}/${encodeURIComponent(record.key)}`;
      const submittedAt = record.submit_time === undefined ? Number.NaN : Date.parse(record.submit_time);
      listed.push({
        ref: { kind: 'aiqum', key: record.key, href, source: 'job.key' },
        body: record,
        submittedAt: Number.isNaN(submittedAt) ? undefined : submittedAt,
      });
    }
    const owners = await this.#store.submissions.jobOwners(
      target.config.name,
      listed.map(({ ref }) => (ref.kind === 'aiqum' ? ref.key : '')),
    );
    return listed
      .filter((_, index) => owners[index] === undefined || owners[index] === requestId)
      .map(({ ref, body, submittedAt }) => ({
        ref,
        submittedAt,
        snapshot: normalizeJob(ref, body, {
          method: 'GET',
          path: jobsPath,
          status: 200,
          retryAfterMs: undefined,
        }),
      }));
  }
}

/**
 * The rules, in order (candidates: unowned jobs of the window, all ended; inDoubt: other writes that may
 * have reached AIQUM unanswered at the same time). A job whose results name another object of the write's
 * kind than the one found is not the write's (the write makes the object it names, or nothing).
 * 1. a candidate whose results name the object found is the write's job, unless another write in doubt
 *    when it was submitted names the same object (or one it cannot tell);
 * 2. no candidate left: AIQUM never received the write (it would have started a job no one else owns);
 * 3. a single candidate left that made nothing (ended in error or aborted), submitted when no other write
 *    was in doubt, is the write's job;
 * 4. anything else is unsettled.
 */
export function decide(
  created: CreatedObject,
  candidates: readonly Candidate[],
  search: Exclude<CreatedObjectSearch, { kind: 'error' }>,
  inDoubt: readonly WriteInDoubt[],
  skewMs: number,
): ReconcileVerdict {
  // Another write in doubt could have started a job only while it was in doubt (on AIQUM's clock, within the skew).
  const couldStart = (write: WriteInDoubt, job: Candidate) =>
    job.submittedAt === undefined ||
    (job.submittedAt >= write.from - skewMs && job.submittedAt <= write.to + skewMs);
  const found = `${describeJobs(candidates)}; ${describeObject(created, search)}${describeWrites(inDoubt)}`;
  const foundKey = search.kind === 'found' ? search.key : undefined;
  const possible = candidates.filter((job) => {
    const made = resultKey(job.snapshot, created.resultName);
    return made === undefined || made === foundKey;
  });
  const made = possible.filter(
    (job) => foundKey !== undefined && resultKey(job.snapshot, created.resultName) === foundKey,
  );
  if (made.length > 0) {
    const [only] = made;
    const rivals = inDoubt.filter(
      (write) =>
        (write.object === '' || write.object === created.identity) && only && couldStart(write, only),
    );
    if (only && made.length === 1 && rivals.length === 0) return { kind: 'track', job: only.ref, found };
    return { kind: 'unsettled', found };
  }
  if (possible.length === 0) return { kind: 'resubmit', found };
  const [only] = possible;
  if (
    only &&
    possible.length === 1 &&
    !inDoubt.some((write) => couldStart(write, only)) &&
    only.snapshot.phase === 'terminal' &&
    (only.snapshot.outcome === 'ERROR' || only.snapshot.outcome === 'ABORTED')
  ) {
    return { kind: 'track', job: only.ref, found };
  }
  return { kind: 'unsettled', found };
}
