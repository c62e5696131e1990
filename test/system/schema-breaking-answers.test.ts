import type { RequestInput } from '@aiqum-jobs/contracts';
import { lunRequest } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guaranteesKept, PipelineUnderTest } from '../src/index.js';

/**
 * AIQUM answers that break the schema, through real worker processes: each request ends with a clear
 * outcome and error code, nothing is submitted twice, and the workers keep working afterwards.
 */

const perKind = 5;
let pipeline: PipelineUnderTest;

beforeAll(async () => {
  pipeline = await PipelineUnderTest.start({
    workers: 2,
    // Unreadable polls are retried 10 times in a row before `unknown`: poll fast so that takes a second.
    target: {
      poll: {
        initialDelayMs: 50,
        multiplier: 1.2,
        maxDelayMs: 150,
        jitter: 0,
        retryAfterMinMs: 50,
        retryAfterMaxMs: 500,
      },
    },
    simulator: {
      tls: true,
      scenario: {
        rules: [
          { match: { body: { name: 'unknown_state_*' } }, job: { durationMs: 100, state: 'FROBNICATING' } },
          { match: { body: { name: 'no_reference_*' } }, faults: { missingJobReferenceRate: 1 } },
          { match: { body: { name: 'malformed_*' } }, faults: { malformedJsonRate: 1 } },
          { match: { method: 'GET', path: '/api/datacenter/svm/svms' }, faults: { malformedJsonRate: 1 } },
          { match: { method: 'POST' }, job: { durationMs: { min: 50, max: 300 } } },
        ],
      },
    },
  });
}, 60_000);
afterAll(() => pipeline.close());

const kinds = {
  /** The job reports a state no dialect knows: it cannot be told finished. */
  unknownState: (index: number) => lunRequest(`unknown_state_${index}`),
  /** A 202 whose `job` has no `key`: the write reached AIQUM, nobody can track it. */
  noReference: (index: number) => lunRequest(`no_reference_${index}`),
  /** A 202 whose body is not JSON. */
  malformedAccepted: (index: number) => lunRequest(`malformed_${index}`),
  /** A synchronous GET answered 200 with a body that is not JSON. */
  malformedGet: (index: number): RequestInput => ({
    method: 'GET',
    path: `/api/datacenter/svm/svms?name=vs${index}`,
  }),
  good: (index: number) => lunRequest(`good_${index}`),
};
type Kind = keyof typeof kinds;

const expected: Record<Kind, { outcome: string; code: string | undefined; message: RegExp | undefined }> = {
  unknownState: {
    outcome: 'unknown',
    code: 'AIQUM_RESPONSE_INVALID',
    message:
      /could not be read \(10 failed polls in a row\).*unknown state "FROBNICATING"; cannot tell whether it finished/,
  },
  // AIQUM accepted these writes but its answer hid the job: reconciliation finds it (reconciled: true).
  noReference: { outcome: 'succeeded', code: undefined, message: undefined },
  malformedAccepted: { outcome: 'succeeded', code: undefined, message: undefined },
  malformedGet: {
    outcome: 'failed',
    code: 'AIQUM_RESPONSE_INVALID',
    message: /answered 200 with a body that is not JSON/,
  },
  good: { outcome: 'succeeded', code: undefined, message: undefined },
};

describe('AIQUM answers that break the schema', () => {
  it('end each request with a clear outcome and error code, and no worker crashes', async () => {
    const requests: RequestInput[] = [];
    const kindOf: Kind[] = [];
    for (const kind of Object.keys(kinds) as Kind[]) {
      for (let index = 0; index < perKind; index += 1) {
        requests.push(kinds[kind](index));
        kindOf.push(kind);
      }
    }
    const { batchId, requestIds } = await pipeline.submitBatch(requests);
    await pipeline.waitForBatch(batchId, 60_000);

    const report = await pipeline.report(batchId, requestIds);
    expect(report).toMatchObject(guaranteesKept(requests.length));
    const completed = new Map(
      (await pipeline.events({ types: ['request.completed'] })).map((event) => [event.requestId, event]),
    );
    const seen: Record<string, Record<string, number>> = {};
    requestIds.forEach((requestId, index) => {
      const kind = kindOf[index] ?? 'good';
      const event = completed.get(requestId);
      const want = expected[kind];
      expect(event?.outcome, `${kind} ${requestId}`).toBe(want.outcome);
      expect(event?.error?.code, `${kind} ${requestId}`).toBe(want.code);
      if (want.message) expect(event?.error?.message, kind).toMatch(want.message);
      const key = `${event?.outcome} ${event?.error?.code ?? ''}`.trim();
      seen[kind] = { ...seen[kind], [key]: (seen[kind]?.[key] ?? 0) + 1 };
    });
    // The writes whose answers were spoiled did reach AIQUM, once each; reconciliation tracked their jobs.
    const submissions = pipeline.simulator.stats().submissions;
    requestIds.forEach((requestId, index) => {
      if (kindOf[index] === 'noReference' || kindOf[index] === 'malformedAccepted') {
        expect(submissions[requestId]).toBe(1);
        expect(completed.get(requestId)?.reconciled).toBe(true);
      }
    });

    // Every worker is alive, ready, and still does its work.
    for (const worker of pipeline.workers) {
      expect(worker.running).toBe(true);
      expect((await fetch(`${worker.url}/readyz`)).status).toBe(200);
      expect(worker.output).not.toMatch(/"level":(50|60)/);
    }
    const after = await pipeline.submitBatch(
      Array.from({ length: 4 }, (_, index) => lunRequest(`after_${index}`)),
    );
    await pipeline.waitForBatch(after.batchId, 30_000);
    expect((await pipeline.report(after.batchId, after.requestIds)).byOutcome).toEqual({ succeeded: 4 });

    console.info(
      `schema-breaking answers: ${JSON.stringify({ ...report, byKind: seen, workersAlive: pipeline.workers.filter((worker) => worker.running).length })}`,
    );
  });
});
