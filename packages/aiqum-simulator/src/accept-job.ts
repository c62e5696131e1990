import { aiqumJobHref } from './aiqum-job-record.js';
import type { JobKind, JobResult, SimJob } from './job-store.js';
import type { Reply, RequestContext } from './router.js';
import { drawJobPlan } from './scenario.js';
import type { SimulatorState } from './simulator-state.js';

export interface JobSpec {
  name: string;
  type: string;
  effect: () => JobResult[];
  kind?: JobKind;
  clusterUuid?: string;
}

/** Plans a job from the scenario and the seeded PRNG and schedules it. */
export function submitJob(state: SimulatorState, ctx: RequestContext, spec: JobSpec): SimJob {
  const job = state.jobs.submit({
    kind: spec.kind ?? 'aiqum',
    name: spec.name,
    type: spec.type,
    ...(spec.clusterUuid === undefined ? {} : { clusterUuid: spec.clusterUuid }),
    plan: drawJobPlan(ctx.jobRule, state.jobRandom),
    correlationId: ctx.correlationId,
    method: ctx.method,
    path: ctx.path,
    effect: spec.effect,
  });
  ctx.createdJobs.push(job);
  return job;
}

/** The 202 an AIQUM async write answers: the job's key and where to poll it. */
export function acceptJob(state: SimulatorState, ctx: RequestContext, spec: JobSpec): Reply {
  const job = submitJob(state, ctx, spec);
  const href = aiqumJobHref(job.id, ctx.rawPath);
  return { status: 202, body: { job: { key: job.id, _links: { self: { href } } } } };
}
