import type { ScenarioInput, Simulator } from '@aiqum-jobs/aiqum-simulator';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AiqumConnectionError, AiqumServerError } from '../../src/index.js';
import { rejection } from '../helpers.js';
import {
  aiqumJobRef,
  clientFor,
  collect,
  gib,
  groundTruth,
  keyedRecord,
  quickWait,
  startHttpsSimulator,
} from './contract-helpers.js';

const lunsPath = '/api/storage-provider/luns';
const jobPollRoute = 'GET /api/management-server/jobs/{key}';
const baseScenario: ScenarioInput = { rules: [{ job: { durationMs: 100 } }] };

const lunBody = (name: string) => ({
  name,
  os_type: 'linux',
  space: { size: gib },
  svm: { name: 'vs1' },
  performance_service_level: { name: 'Value' },
});

describe('contract: retries against simulator faults', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startHttpsSimulator();
  });
  beforeEach(() => {
    sim.setScenario(baseScenario);
    sim.reset();
  });
  afterAll(() => sim.close());

  it('getJob retries a 503 with Retry-After on the poll path, honouring the delay, then succeeds', async () => {
    const delays: number[] = [];
    await using client = clientFor(sim, {
      // Records each wait without waiting; the fault is lifted once the client has backed off twice.
      sleep: async (ms) => {
        delays.push(ms);
        if (delays.length === 2) sim.setScenario(baseScenario);
      },
    });
    const submitted = await client.submit({ method: 'POST', path: lunsPath, body: lunBody('lun_retry') });
    if (submitted.kind !== 'job') throw new Error('expected a job');
    sim.setScenario({
      rules: [
        {
          match: { method: 'GET', path: '/api/management-server/jobs/*' },
          faults: { statuses: [{ status: 503, rate: 1, retryAfterSeconds: 2 }] },
        },
      ],
    });

    const snapshot = await client.getJob(submitted.job);
    expect(['running', 'terminal']).toContain(snapshot.phase);
    expect(delays).toEqual([2_000, 2_000]);
    const stats = sim.stats();
    expect(stats.requests[jobPollRoute]).toEqual({ '503': 2, '200': 1 });
    expect(stats.faults['503']).toBe(2);
  });

  it('a 503 on a POST is not retried: one request, retryable, not ambiguous, nothing processed', async () => {
    const correlationId = 'contract-post-503';
    sim.setScenario({
      rules: [
        { match: { method: 'POST', path: lunsPath }, faults: { statuses: [{ status: 503, rate: 1 }] } },
      ],
    });
    const delays: number[] = [];
    await using client = clientFor(sim, {
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    const error = await rejection(
      client.submit({
        method: 'POST',
        path: lunsPath,
        body: lunBody('lun_503'),
        headers: { 'X-Correlation-Id': correlationId },
      }),
    );
    expect(error).toBeInstanceOf(AiqumServerError);
    expect(error).toMatchObject({ status: 503, retryable: true, ambiguous: false, retryAfterMs: 1_000 });
    expect(delays).toEqual([]);
    expect(sim.stats().requests[`POST ${lunsPath}`]).toEqual({ '503': 1 });
    expect(sim.stats().submissions[correlationId]).toBeUndefined();
    expect(await groundTruth(sim, correlationId)).toEqual([]);
  });

  it('a connection reset after a POST was processed is ambiguous, and the write did happen', async () => {
    const correlationId = 'contract-post-reset';
    sim.setScenario({
      rules: [
        { match: { method: 'POST', path: lunsPath }, faults: { resetRate: 1 } },
        { job: { durationMs: 100 } },
      ],
    });
    await using client = clientFor(sim);
    const error = await rejection(
      client.submit({
        method: 'POST',
        path: lunsPath,
        body: lunBody('lun_reset'),
        headers: { 'X-Correlation-Id': correlationId },
      }),
    );
    expect(error).toBeInstanceOf(AiqumConnectionError);
    expect(error).toMatchObject({ code: 'AIQUM_CONNECTION_ERROR', ambiguous: true, retryable: false });
    const stats = sim.stats();
    expect(stats.requests[`POST ${lunsPath}`]).toEqual({ reset: 1 });
    expect(stats.submissions[correlationId]).toBe(1);

    // What a worker would do: find the job by correlation id and track it instead of writing again.
    const truth = await groundTruth(sim, correlationId);
    expect(truth).toMatchObject([{ correlationId, processed: true, responseFault: 'reset' }]);
    const jobKey = truth[0]?.id ?? '';
    const done = await client.waitForJob(aiqumJobRef(jobKey), quickWait);
    expect(done).toMatchObject({ phase: 'terminal', outcome: 'NORMAL' });
    const luns = await collect(
      client.list(lunsPath, { filters: { name: '*/lun_reset' }, schema: keyedRecord }),
    );
    expect(luns).toHaveLength(1);
  });
});
