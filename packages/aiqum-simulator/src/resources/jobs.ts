import { type AiqumJobRecord, aiqumJobRecord } from '../aiqum-job-record.js';
import { filterParams, queryCollection } from '../collection-query.js';
import { invalidField, notFound } from '../errors.js';
import type { Route } from '../router.js';
import type { SimulatorState } from '../simulator-state.js';

/** Without filters AIQUM lists only the newest jobs. */
const unfilteredJobLimit = 20;

/** `GET /api/management-server/jobs[/{key}]`; the single GET long-polls with the configured parameter. */
export function jobRoutes(state: SimulatorState): Route[] {
  const { dialect, longPollParam, longPollMaxSeconds } = state.options;
  const ignore = new Set([longPollParam]);
  return [
    {
      method: 'GET',
      template: '/api/management-server/jobs',
      handler: (ctx) => {
        const limit =
          filterParams(ctx.query, ignore).length === 0 ? unfilteredJobLimit : Number.POSITIVE_INFINITY;
        const records: AiqumJobRecord[] = [];
        for (const job of state.jobs.newestFirst('aiqum')) {
          if (records.length >= limit) break;
          records.push(aiqumJobRecord(job, dialect, ctx.rawPath));
        }
        return {
          status: 200,
          body: queryCollection(records, { path: ctx.rawPath, query: ctx.query, ignore }),
        };
      },
    },
    {
      method: 'GET',
      template: '/api/management-server/jobs/{key}',
      poll: true,
      handler: async (ctx) => {
        const job = state.jobs.get(ctx.params.key ?? '');
        if (job?.kind !== 'aiqum') throw notFound(`Job "${ctx.params.key}"`, 'key');
        const wait = ctx.query.get(longPollParam);
        if (wait !== null) {
          const seconds = Number(wait);
          if (wait === '' || !Number.isFinite(seconds) || seconds < 0) {
            throw invalidField(longPollParam, `"${longPollParam}" must be a non-negative number of seconds`);
          }
          await state.jobs.waitForEnd(job, Math.min(seconds, longPollMaxSeconds) * 1000, ctx.signal);
          state.jobs.settleDue();
        }
        return { status: 200, body: aiqumJobRecord(job, dialect, ctx.rawPath) };
      },
    },
  ];
}
