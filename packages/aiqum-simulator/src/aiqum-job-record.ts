import type { JobResult, SimJob } from './job-store.js';
import type { Dialect } from './simulator-options.js';

/** One of a job's `task_reports`, as SPEC's `definitions.job` has it. */
export interface AiqumTaskReport {
  key: string;
  name: string;
  type: string;
  description: string;
  state: string;
  status: string;
  start_time?: string;
  complete_time?: string;
  failure_reason?: string;
}

/** Counts of the jobs a job spawned; the simulator's jobs spawn none. */
export interface SpawnedJobSummary {
  total_jobs: number;
  running_jobs: number;
  completed_jobs: number;
  successful_jobs: number;
  failed_jobs: number;
  aborted_jobs: number;
}

/**
 * A Unified Manager job as SPEC's `definitions.job` has it. `parent_job_key` appears only on a job another
 * job spawned, which the simulator never makes. `message` exists only in the docs dialect.
 */
export interface AiqumJobRecord {
  key: string;
  name: string;
  type: string;
  state: string;
  status: string;
  submit_time: string;
  complete_time?: string;
  message?: string;
  job_results: JobResult[];
  task_reports: AiqumTaskReport[];
  parent_job_key?: string;
  spawned_job_summary: SpawnedJobSummary;
  _links: { self: { href: string } };
}

const noSpawnedJobs: Readonly<SpawnedJobSummary> = {
  total_jobs: 0,
  running_jobs: 0,
  completed_jobs: 0,
  successful_jobs: 0,
  failed_jobs: 0,
  aborted_jobs: 0,
};

/** SPEC's time format: ISO 8601 with milliseconds and a numeric offset (`2019-11-15T09:57:22.000+05:30`). */
export function aiqumTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/Z$/, '+00:00');
}

/**
 * Where to poll a job. Links keep the API version of the request that led to them, as collection links
 * do: a client that wrote through `/api/v2/` polls under `/api/v2/`.
 */
export function aiqumJobHref(key: string, requestPath: string): string {
  const prefix = requestPath === '/api/v2' || requestPath.startsWith('/api/v2/') ? '/api/v2/' : '/api/';
  return `${prefix}management-server/jobs/${encodeURIComponent(key)}`;
}

type Phase = 'running' | 'aborting' | 'ended';

function phaseOf(job: SimJob, now: number): Phase {
  if (job.settled) return 'ended';
  return job.abortTime !== undefined && now >= job.abortTime ? 'aborting' : 'running';
}

/**
 * State and status in the chosen dialect. spec: `state` running, aborting, then completed or aborted;
 * `status` the outcome in lower case, `normal` until the end, `error` for an aborted job (SPEC's status
 * enum has no other value for it). docs: `state` RUNNING then the outcome, `status` mirroring it.
 */
function lifecycle(job: SimJob, phase: Phase, dialect: Dialect): { state: string; status: string } {
  if (job.reportedState !== undefined) return { state: job.reportedState, status: job.reportedState };
  const outcome = phase === 'ended' ? job.outcome : undefined;
  if (dialect === 'spec') {
    if (outcome === undefined) return { state: phase, status: 'normal' };
    if (outcome === 'ABORTED') return { state: 'aborted', status: 'error' };
    return { state: 'completed', status: outcome.toLowerCase() };
  }
  const state = outcome ?? 'RUNNING';
  return { state, status: state };
}

/** The outcomes whose operation task reports why: it failed, was aborted, or failed in part. */
// Inferred: SPEC gives a task only `failure_reason` to say what went wrong, so a warning is said there too.
const failedOutcomes = new Set<SimJob['outcome']>(['WARNING', 'ERROR', 'ABORTED', 'PARTIAL_FAILURES']);

/**
 * Two tasks, as AIQUM's provisioning jobs report them: checks for the first fifth of the run, then the
 * operation, which is the task that fails or is aborted.
 */
function taskReports(job: SimJob, phase: Phase, now: number): AiqumTaskReport[] {
  const [checkKey, operationKey] = job.taskKeys;
  if (checkKey === undefined || operationKey === undefined) return [];
  const checksEnd = job.submitTime + Math.floor((job.endTime - job.submitTime) / 5);
  const checksDone = phase === 'ended' || now >= checksEnd;
  const checks: AiqumTaskReport = {
    key: checkKey,
    name: `${job.type}_validate`,
    type: `${job.type}_validate`,
    description: `Validate the request: ${job.name}`,
    state: checksDone ? 'completed' : 'running',
    status: 'normal',
    start_time: aiqumTime(job.submitTime),
    ...(checksDone ? { complete_time: aiqumTime(checksEnd) } : {}),
  };
  const operation: AiqumTaskReport = {
    key: operationKey,
    name: job.type,
    type: job.type,
    description: job.name,
    state: 'queued',
    status: 'normal',
  };
  if (checksDone) {
    operation.state = phase;
    operation.start_time = aiqumTime(checksEnd);
  }
  if (phase === 'ended') {
    operation.state = job.outcome === 'ABORTED' ? 'aborted' : 'completed';
    operation.status = job.outcome === 'ABORTED' ? 'error' : (job.outcome ?? 'NORMAL').toLowerCase();
    operation.complete_time = aiqumTime(job.endTime);
    if (failedOutcomes.has(job.outcome) && job.message !== undefined) operation.failure_reason = job.message;
  }
  return [checks, operation];
}

/**
 * The job as AIQUM shows it at `now`; `requestPath` (as the client sent it) picks the API version of its
 * link. The docs dialect keeps a job-level `message`, as the robustness dialect always had.
 */
export function aiqumJobRecord(
  job: SimJob,
  dialect: Dialect,
  requestPath: string,
  now: number,
): AiqumJobRecord {
  const phase = phaseOf(job, now);
  const { state, status } = lifecycle(job, phase, dialect);
  return {
    key: job.id,
    name: job.name,
    type: job.type,
    state,
    status,
    submit_time: aiqumTime(job.submitTime),
    ...(phase === 'ended' ? { complete_time: aiqumTime(job.endTime) } : {}),
    ...(dialect === 'docs' && phase === 'ended' && job.message !== undefined ? { message: job.message } : {}),
    job_results: job.results,
    task_reports: taskReports(job, phase, now),
    spawned_job_summary: { ...noSpawnedJobs },
    _links: { self: { href: aiqumJobHref(job.id, requestPath) } },
  };
}
