import type { JobResult, SimJob } from './job-store.js';
import type { Dialect } from './simulator-options.js';

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
  task_reports: Array<{ key: string; type: string; state: string; status: string }>;
  _links: { self: { href: string } };
}

/**
 * Where to poll a job. Links keep the API version of the request that led to them, as collection links
 * do: a client that wrote through `/api/v2/` polls under `/api/v2/`.
 */
export function aiqumJobHref(key: string, requestPath: string): string {
  const prefix = requestPath === '/api/v2' || requestPath.startsWith('/api/v2/') ? '/api/v2/' : '/api/';
  return `${prefix}management-server/jobs/${encodeURIComponent(key)}`;
}

/**
 * State and status in the chosen dialect. docs: `state` carries RUNNING or the outcome (status mirrors
 * it). 9.7: `state` is running/completed and `status` the outcome, `normal` even while running.
 */
function lifecycle(job: SimJob, dialect: Dialect): { state: string; status: string } {
  if (job.reportedState !== undefined) return { state: job.reportedState, status: job.reportedState };
  const outcome = job.settled ? job.outcome : undefined;
  if (dialect === '9.7') {
    return outcome === undefined
      ? { state: 'running', status: 'normal' }
      : { state: 'completed', status: outcome.toLowerCase() };
  }
  const state = outcome ?? 'RUNNING';
  return { state, status: state };
}

/** The job as AIQUM shows it; `requestPath` (as the client sent it) picks the API version of its link. */
export function aiqumJobRecord(job: SimJob, dialect: Dialect, requestPath: string): AiqumJobRecord {
  const { state, status } = lifecycle(job, dialect);
  return {
    key: job.id,
    name: job.name,
    type: job.type,
    state,
    status,
    submit_time: new Date(job.submitTime).toISOString(),
    ...(job.settled ? { complete_time: new Date(job.endTime).toISOString() } : {}),
    ...(job.settled && job.message !== undefined ? { message: job.message } : {}),
    job_results: job.results,
    task_reports: [{ key: `${job.id}:task-1`, type: job.type, state, status }],
    _links: { self: { href: aiqumJobHref(job.id, requestPath) } },
  };
}
