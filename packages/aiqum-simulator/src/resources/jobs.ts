import { z } from 'zod';
import { type AiqumJobRecord, aiqumJobRecord } from '../aiqum-job-record.js';
import { filterParams, queryCollection } from '../collection-query.js';
import { invalidField, notFound } from '../errors.js';
import type { SimJob } from '../job-store.js';
import type { RequestContext, Route } from '../router.js';
import type { SimulatorState } from '../simulator-state.js';

/** Without filters AIQUM lists only the newest jobs. */
const unfilteredJobLimit = 20;

/** Deploy's long-poll parameters. */
const pollTimeoutParam = 'poll_timeout';
const lastModifiedParam = 'last_modified';
const pollTimeoutSchema = z.coerce.number().int().min(1).max(120);
const lastModifiedSchema = z.iso.datetime({ offset: true });

/**
 * Holds a job poll as Deploy's long poll does: until the job's state changes after `last_modified` (or
 * after the request arrived), at most `poll_timeout` seconds. An ended job, or one that changed since
 * `last_modified`, is answered at once.
 */
async function longPoll(state: SimulatorState, job: SimJob, ctx: RequestContext): Promise<void> {
  const timeout = ctx.query.get(pollTimeoutParam);
  const lastModified = ctx.query.get(lastModifiedParam);
  let since = state.options.now();
  if (lastModified !== null) {
    if (!lastModifiedSchema.safeParse(lastModified).success) {
      throw invalidField(lastModifiedParam, `"${lastModifiedParam}" must be an ISO 8601 date-time`);
    }
    since = Date.parse(lastModified);
  }
  if (timeout === null) return;
  const seconds = pollTimeoutSchema.safeParse(timeout === '' ? undefined : timeout);
  if (!seconds.success) {
    throw invalidField(pollTimeoutParam, `"${pollTimeoutParam}" must be an integer from 1 to 120`);
  }
  if (job.settled || state.jobs.lastChange(job) > since) return;
  await state.jobs.waitForChange(job, seconds.data * 1000, ctx.signal);
  state.jobs.settleDue();
}

/** `GET /api/management-server/jobs[/{key}]`; the single GET long-polls only when the option is on. */
export function jobRoutes(state: SimulatorState): Route[] {
  const { dialect } = state.options;
  return [
    {
      method: 'GET',
      template: '/api/management-server/jobs',
      handler: (ctx) => {
        const limit = filterParams(ctx.query).length === 0 ? unfilteredJobLimit : Number.POSITIVE_INFINITY;
        const now = state.options.now();
        const records: AiqumJobRecord[] = [];
        for (const job of state.jobs.newestFirst('aiqum')) {
          if (records.length >= limit) break;
          records.push(aiqumJobRecord(job, dialect, ctx.rawPath, now));
        }
        return { status: 200, body: queryCollection(records, { path: ctx.rawPath, query: ctx.query }) };
      },
    },
    {
      method: 'GET',
      template: '/api/management-server/jobs/{key}',
      poll: true,
      handler: async (ctx) => {
        const job = state.jobs.get(ctx.params.key ?? '');
        if (job?.kind !== 'aiqum') throw notFound(`Job "${ctx.params.key}"`, 'key');
        if (state.options.longPoll) await longPoll(state, job, ctx);
        return { status: 200, body: aiqumJobRecord(job, dialect, ctx.rawPath, state.options.now()) };
      },
    },
  ];
}
