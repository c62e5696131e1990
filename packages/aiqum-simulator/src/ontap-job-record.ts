import type { SimJob } from './job-store.js';

export interface OntapJobRecord {
  uuid: string;
  description: string;
  state: 'queued' | 'running' | 'success' | 'failure';
  message: string;
  code: number;
  start_time: string;
  end_time?: string;
  error?: { message: string; code: string };
  _links: { self: { href: string } };
}

export function ontapJobHref(clusterUuid: string, uuid: string): string {
  return `/api/gateways/${clusterUuid}/cluster/jobs/${uuid}`;
}

/** An ONTAP job as the gateway shows it; queued for the first fifth of its run, derived from the clock. */
export function ontapJobRecord(job: SimJob, now: number): OntapJobRecord {
  const base = {
    uuid: job.id,
    description: `${job.method} ${job.name}`,
    start_time: new Date(job.submitTime).toISOString(),
    _links: { self: { href: ontapJobHref(job.clusterUuid ?? '', job.id) } },
  };
  if (!job.settled) {
    const queued = now < job.submitTime + (job.endTime - job.submitTime) / 5;
    return { ...base, state: queued ? 'queued' : 'running', message: queued ? 'Queued' : 'Running', code: 0 };
  }
  const end_time = new Date(job.endTime).toISOString();
  // ONTAP has no aborted job: one aborted behind the gateway is a failure.
  if (job.outcome === 'ERROR' || job.outcome === 'ABORTED') {
    const message = job.message ?? 'failed';
    const code = Number(job.errorCode ?? 1);
    return { ...base, state: 'failure', message, code, end_time, error: { message, code: String(code) } };
  }
  return { ...base, state: 'success', message: 'success', code: 0, end_time };
}
