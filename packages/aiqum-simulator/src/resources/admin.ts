import { invalidField, notFound } from '../errors.js';
import type { SimJob } from '../job-store.js';
import { parseBody } from '../request-body.js';
import type { Route } from '../router.js';
import { scenarioSchema } from '../scenario.js';
import type { SimulatorState } from '../simulator-state.js';

/** What really happened to a job, for tests that judge a client's view of it. */
export interface JobGroundTruth {
  kind: SimJob['kind'];
  id: string;
  name: string;
  type: string;
  method: string;
  path: string;
  correlationId: string | null;
  /** The write reached processing (every recorded job did; a write faulted before processing has none). */
  processed: true;
  plannedOutcome: SimJob['planned'];
  submitTime: string;
  endTime: string;
  settled: boolean;
  /** Final outcome; ERROR also when the effect failed (e.g. a duplicate name). Null while running. */
  outcome: SimJob['outcome'] | null;
  message: string | null;
  /** The state the job reported instead of its real one (a scenario's `job.state`). */
  reportedState: string | null;
  /** Whether the inventory was changed. */
  applied: boolean;
  results: SimJob['results'];
  /** A fault injected into the answer of the write that created the job. */
  responseFault: SimJob['responseFault'] | null;
  purged: boolean;
  /** A poll delivered the job's end to the client: false for a purged ONTAP job means its end was missed. */
  endSeen: boolean;
}

function groundTruth(state: SimulatorState, job: SimJob): JobGroundTruth {
  return {
    kind: job.kind,
    id: job.id,
    name: job.name,
    type: job.type,
    method: job.method,
    path: job.path,
    correlationId: job.correlationId ?? null,
    processed: true,
    plannedOutcome: job.planned,
    submitTime: new Date(job.submitTime).toISOString(),
    endTime: new Date(job.endTime).toISOString(),
    settled: job.settled,
    outcome: job.outcome ?? null,
    message: job.message ?? null,
    reportedState: job.reportedState ?? null,
    applied: job.applied,
    results: job.results,
    responseFault: job.responseFault ?? null,
    purged: state.jobs.isPurged(job),
    endSeen: job.endSeen,
  };
}

/** `/_sim/*`: stats, reset, scenario and job ground truth, for application administrators only. */
export function adminRoutes(state: SimulatorState): Route[] {
  return [
    { method: 'GET', template: '/_sim/stats', handler: () => ({ status: 200, body: state.snapshot() }) },
    {
      method: 'POST',
      template: '/_sim/reset',
      handler: (ctx) => {
        const all = ctx.query.get('all') === 'true';
        state.stats.reset();
        if (all) state.resetAll();
        return { status: 200, body: { reset: all ? 'all' : 'stats' } };
      },
    },
    {
      method: 'GET',
      template: '/_sim/scenario',
      handler: () => ({ status: 200, body: state.scenario.scenario }),
    },
    {
      method: 'PUT',
      template: '/_sim/scenario',
      handler: (ctx) => {
        const scenario = parseBody(scenarioSchema, ctx.body);
        state.setScenario(scenario);
        return { status: 200, body: scenario };
      },
    },
    {
      method: 'GET',
      template: '/_sim/jobs',
      handler: (ctx) => {
        const correlationId = ctx.query.get('correlation_id');
        if (correlationId === null) throw invalidField('correlation_id', '"correlation_id" is required');
        const records = state.jobs.byCorrelationId(correlationId).map((job) => groundTruth(state, job));
        // Writes faulted before processing leave no job: only this list shows what their client was told.
        const writeFaults = state.stats.writeFaultsOf(correlationId);
        return { status: 200, body: { records, num_records: records.length, writeFaults } };
      },
    },
    {
      method: 'GET',
      template: '/_sim/jobs/{id}',
      handler: (ctx) => {
        const job = state.jobs.get(ctx.params.id ?? '');
        if (!job) throw notFound(`Job "${ctx.params.id}"`, 'id');
        return { status: 200, body: groundTruth(state, job) };
      },
    },
  ];
}
