import type { JobRef } from '@aiqum-jobs/contracts';
import { z } from 'zod';
import { AiqumResponseValidationError } from './errors.js';

/**
 * How a job ended. `ABORTED`: an administrator aborted it (`state: aborted`); like `ERROR`, nothing it was
 * asked to do can be assumed done.
 */
export type JobOutcome = 'NORMAL' | 'WARNING' | 'PARTIAL_FAILURES' | 'ERROR' | 'ABORTED';

/**
 * Which vocabulary the job used: `spec` (Unified Manager's API specification and NetApp's clients: a
 * lifecycle `state` running/completed/aborted plus an outcome `status`), `docs` (the documentation page's
 * copy of ONTAP Select Deploy: `state` is the outcome) or `ontap` (an ONTAP job through the gateway API).
 */
export type JobDialect = 'spec' | 'docs' | 'ontap';

interface SnapshotBase {
  ref: JobRef;
  /** Raw `state` as AIQUM sent it. */
  state?: string;
  /** Raw `status` as AIQUM sent it. */
  status?: string;
  /** `job_results`, values as strings (e.g. `lunKey`). */
  results: Array<{ name: string; value: string }>;
  /**
   * Why the job failed, was aborted or warned: the `failure_reason` of its failing task (AIQUM jobs have no
   * job-level message), else a job-level `message`/`error.message` where a server sends one (docs dialect,
   * ONTAP jobs).
   */
  message?: string;
  /** The job-level `code` or `error.code`, exactly as sent. */
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

// The outcomes a `status` (or a docs-dialect `state`) can name; ABORTED is only ever a lifecycle state.
const statusOutcomes: readonly JobOutcome[] = ['NORMAL', 'WARNING', 'PARTIAL_FAILURES', 'ERROR'];
// `aborting` is the lifecycle state of a job an administrator is aborting; tasks show `queued`, `waiting`.
const runningStates = new Set([
  'aborting',
  'waiting',
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
// Every field optional: only `status` and `failure_reason` are read, and a server may leave any out.
const taskReportSchema = z.looseObject({
  status: z.string().nullish(),
  failure_reason: z.string().nullish(),
});
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
  task_reports: z.array(taskReportSchema).nullish(),
});

function asOutcome(value: string | undefined): JobOutcome | undefined {
  const upper = value?.toUpperCase();
  return statusOutcomes.find((outcome) => outcome === upper);
}

/**
 * A running or aborted job does not say its dialect outright. The specification pairs a lifecycle `state`
 * with an outcome `status` (`running` + `normal`); the docs page has an upper-case state that `status`, if
 * present, repeats.
 */
function dialectOf(state: string | undefined, status: string | undefined): JobDialect {
  const upperCase = state !== undefined && state === state.toUpperCase();
  return upperCase && (status === undefined || status.toUpperCase() === state) ? 'docs' : 'spec';
}

type TaskReport = z.output<typeof taskReportSchema>;

/** The reason of the task whose status is `error`, else the first non-empty reason of any task. */
function failureReason(tasks: TaskReport[]): string | undefined {
  const reasons = tasks.filter(
    (task) => typeof task.failure_reason === 'string' && task.failure_reason !== '',
  );
  const failed = reasons.find((task) => task.status?.toLowerCase() === 'error');
  return (failed ?? reasons[0])?.failure_reason ?? undefined;
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
  const jobMessage = job.message ?? job.error?.message;
  if (jobMessage !== undefined) base.message = jobMessage;
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
  // A job that did not end well says why in its failing task; a job-level message is only a fallback.
  const terminal = (dialect: JobDialect, outcome: JobOutcome): JobSnapshot => {
    const reason = outcome === 'NORMAL' ? undefined : failureReason(job.task_reports ?? []);
    return reason === undefined
      ? { ...base, phase: 'terminal', dialect, outcome }
      : { ...base, message: reason, phase: 'terminal', dialect, outcome };
  };
  // Checked before anything else: a spec job that is still running already carries `status: "normal"`.
  if (state !== undefined && runningStates.has(state)) {
    return { ...base, phase: 'running', dialect: dialectOf(job.state, job.status) };
  }
  // Aborted whatever its status says (the specification gives none for it): the work did not complete.
  if (state === 'aborted') return terminal(dialectOf(job.state, job.status), 'ABORTED');
  if (state === 'completed') {
    const outcome = asOutcome(job.status);
    if (outcome === undefined) {
      return unknownState(
        `state "completed" with ${job.status === undefined ? 'no status' : `unknown status ${JSON.stringify(job.status)}`}`,
      );
    }
    return terminal('spec', outcome);
  }
  const outcome = asOutcome(job.state);
  if (outcome !== undefined) return terminal('docs', outcome);
  return unknownState(describedState);
}

/** The snapshot for a job that answered 404 after it had been seen: finished and purged, or lost. */
export function goneSnapshot(ref: JobRef, message: string | undefined): JobSnapshot {
  return message === undefined
    ? { ref, phase: 'gone', results: [], raw: null }
    : { ref, phase: 'gone', results: [], raw: null, message };
}
