import { z } from 'zod';
import { AiqumResponseValidationError } from './errors.js';
import type { JobRef } from './job-ref.js';

export type JobOutcome = 'NORMAL' | 'WARNING' | 'PARTIAL_FAILURES' | 'ERROR';

/**
 * Which vocabulary the job used: `docs` (state is the outcome), `9.7` (state `completed` plus a status,
 * as NetApp's 9.7 modules read it) or `ontap` (an ONTAP job through the gateway API).
 */
export type JobDialect = 'docs' | '9.7' | 'ontap';

interface SnapshotBase {
  ref: JobRef;
  /** Raw `state` as AIQUM sent it. */
  state?: string;
  /** Raw `status` as AIQUM sent it. */
  status?: string;
  /** `job_results`, values as strings (e.g. `lunKey`). */
  results: Array<{ name: string; value: string }>;
  message?: string;
  code?: string | number;
  /** The parsed answer body. */
  raw: unknown;
  /** The server's `Retry-After` on this poll, if any. */
  retryAfterMs?: number;
}

/**
 * One observation of a job. `gone` means the job vanished (404 after it was seen): its outcome is unknown
 * and must never be read as success.
 */
export type JobSnapshot =
  | (SnapshotBase & { phase: 'running'; dialect: JobDialect })
  | (SnapshotBase & { phase: 'terminal'; dialect: JobDialect; outcome: JobOutcome })
  | (SnapshotBase & { phase: 'gone' });

const outcomes: readonly JobOutcome[] = ['NORMAL', 'WARNING', 'PARTIAL_FAILURES', 'ERROR'];
const runningStates = new Set([
  'queued',
  'scheduled',
  'pending',
  'running',
  'in_progress',
  'started',
  'paused',
  'not_started',
]);
const ontapRunningStates = new Set(['queued', 'running', 'paused']);

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const jobBodySchema = z.looseObject({
  state: z.string().optional(),
  status: z.string().optional(),
  message: z.string().optional(),
  code: z.union([z.string(), z.number()]).optional(),
  error: z
    .looseObject({ message: z.string().optional(), code: z.union([z.string(), z.number()]).optional() })
    .optional(),
  job_results: z
    .array(z.looseObject({ name: z.string(), value: z.union([scalar, z.undefined()]) }))
    .nullable()
    .optional(),
});

function asOutcome(value: string | undefined): JobOutcome | undefined {
  const upper = value?.toUpperCase();
  return outcomes.find((outcome) => outcome === upper);
}

/**
 * A running job does not say its dialect outright. The 9.7 vocabulary pairs a lifecycle `state` with an
 * outcome `status` (`running` + `normal`); the documented one has an upper-case state that `status`, if
 * present, repeats.
 */
function runningDialect(state: string | undefined, status: string | undefined): JobDialect {
  const upperCase = state !== undefined && state === state.toUpperCase();
  return upperCase && (status === undefined || status.toUpperCase() === state) ? 'docs' : '9.7';
}

export interface PollContext {
  method: string;
  path: string;
  status: number;
  retryAfterMs: number | undefined;
}

/** Reads a polled job into a snapshot. Anything it cannot classify for sure is an error, never "done". */
export function normalizeJob(ref: JobRef, body: unknown, context: PollContext): JobSnapshot {
  const call = { method: context.method, path: context.path, status: context.status };
  const parsed = jobBodySchema.safeParse(body);
  if (!parsed.success) {
    throw new AiqumResponseValidationError('job answer has an unexpected shape', {
      ...call,
      issues: parsed.error.issues,
    });
  }
  const job = parsed.data;
  const base: SnapshotBase = {
    ref,
    results: (job.job_results ?? []).map(({ name, value }) => ({ name, value: String(value ?? '') })),
    raw: body,
  };
  if (job.state !== undefined) base.state = job.state;
  if (job.status !== undefined) base.status = job.status;
  const message = job.message ?? job.error?.message;
  if (message !== undefined) base.message = message;
  const code = job.code ?? job.error?.code;
  if (code !== undefined) base.code = code;
  if (context.retryAfterMs !== undefined) base.retryAfterMs = context.retryAfterMs;

  const state = job.state?.toLowerCase();
  const unknownState = (detail: string): never => {
    throw new AiqumResponseValidationError(
      `job ${JSON.stringify(ref.href)} has ${detail}; cannot tell whether it finished`,
      call,
    );
  };
  const describedState = job.state === undefined ? 'no state' : `unknown state ${JSON.stringify(job.state)}`;

  if (ref.kind === 'ontap') {
    if (state !== undefined && ontapRunningStates.has(state))
      return { ...base, phase: 'running', dialect: 'ontap' };
    if (state === 'success') return { ...base, phase: 'terminal', dialect: 'ontap', outcome: 'NORMAL' };
    if (state === 'failure') return { ...base, phase: 'terminal', dialect: 'ontap', outcome: 'ERROR' };
    return unknownState(describedState);
  }
  // Checked before anything else: a 9.7 job that is still running may already carry `status: "normal"`.
  if (state !== undefined && runningStates.has(state)) {
    return { ...base, phase: 'running', dialect: runningDialect(job.state, job.status) };
  }
  if (state === 'completed') {
    const outcome = asOutcome(job.status);
    if (outcome === undefined) {
      return unknownState(
        `state "completed" with ${job.status === undefined ? 'no status' : `unknown status ${JSON.stringify(job.status)}`}`,
      );
    }
    return { ...base, phase: 'terminal', dialect: '9.7', outcome };
  }
  const outcome = asOutcome(job.state);
  if (outcome !== undefined) return { ...base, phase: 'terminal', dialect: 'docs', outcome };
  return unknownState(describedState);
}

/** The snapshot for a job that answered 404 after it had been seen: finished and purged, or lost. */
export function goneSnapshot(ref: JobRef, message: string | undefined): JobSnapshot {
  return message === undefined
    ? { ref, phase: 'gone', results: [], raw: null }
    : { ref, phase: 'gone', results: [], raw: null, message };
}
