import type { ScenarioInput, Simulator } from '@aiqum-jobs/aiqum-simulator';
import { lunRequest } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AiqumConnectionError,
  AiqumResponseValidationError,
  AiqumServerError,
  AiqumTimeoutError,
} from '../../src/index.js';
import { rejection } from '../helpers.js';
import {
  aiqumJobRef,
  clientFor,
  collect,
  groundTruth,
  keyedRecord,
  type LunReferences,
  lunReferences,
  quickWait,
  startHttpsSimulator,
} from './contract-helpers.js';
import { expectOffSpecAnswer } from './spec-contract-check.js';

const lunsPath = '/api/storage-provider/luns';
const svmsPath = '/api/datacenter/svm/svms';
const jobPollRoute = 'GET /api/management-server/jobs/{key}';
const baseScenario: ScenarioInput = { rules: [{ job: { durationMs: 100 } }] };

let references: LunReferences;

describe('contract: retries against simulator faults', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startHttpsSimulator();
    references = await lunReferences(sim);
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
    const submitted = await client.submit({
      method: 'POST',
      path: lunsPath,
      body: lunRequest('lun_retry', { body: references }).body,
    });
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
    expect(snapshot.phase).not.toBe('gone');
    expect(delays).toEqual([2_000, 2_000]);
    const stats = sim.stats();
    expect(stats.requests[jobPollRoute]).toEqual({ '503': 2, '200': 1 });
    expect(stats.faults['503']).toBe(2);
  });

  it('getJob retries a poll whose connection was reset', async () => {
    const delays: number[] = [];
    await using client = clientFor(sim, {
      sleep: async (ms) => {
        delays.push(ms);
        sim.setScenario(baseScenario);
      },
    });
    const submitted = await client.submit({
      method: 'POST',
      path: lunsPath,
      body: lunRequest('lun_poll_reset', { body: references }).body,
    });
    if (submitted.kind !== 'job') throw new Error('expected a job');
    sim.setScenario({
      rules: [{ match: { method: 'GET', path: '/api/management-server/jobs/*' }, faults: { resetRate: 1 } }],
    });

    const snapshot = await client.getJob(submitted.job);
    expect(snapshot.phase).not.toBe('gone');
    expect(delays).toHaveLength(1);
    expect(sim.stats().requests[jobPollRoute]).toEqual({ reset: 1, '200': 1 });
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
        body: lunRequest('lun_503', { body: references }).body,
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
        body: lunRequest('lun_reset', { body: references }).body,
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

  it('list() retries a 429 and a truncated answer on a page GET, then reads every record', async () => {
    const delays: number[] = [];
    await using client = clientFor(sim, {
      sleep: async (ms) => {
        delays.push(ms);
        // First a 429, then a body cut in half, then a clean answer.
        sim.setScenario(
          delays.length === 1
            ? { rules: [{ match: { method: 'GET', path: svmsPath }, faults: { truncatedJsonRate: 1 } }] }
            : baseScenario,
        );
      },
    });
    sim.setScenario({
      rules: [
        {
          match: { method: 'GET', path: svmsPath },
          faults: { statuses: [{ status: 429, rate: 1, retryAfterSeconds: 3 }] },
        },
      ],
    });
    const svms = await collect(client.list(svmsPath, { schema: keyedRecord }));
    expect(svms.map((svm) => svm.name)).toEqual(['vs1', 'vs2', 'vs3', 'vs4']);
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBe(3_000);
    expect(sim.stats().requests[`GET ${svmsPath}`]).toEqual({ '429': 1, '200': 2 });
    expect(sim.stats().faults).toMatchObject({ '429': 1, truncatedJson: 1 });
  });

  it('an unreadable answer to a processed POST is ambiguous, not retried', async () => {
    const correlationId = 'contract-post-malformed';
    sim.setScenario({
      rules: [
        { match: { method: 'POST', path: lunsPath }, faults: { malformedJsonRate: 1 } },
        { job: { durationMs: 100 } },
      ],
    });
    expectOffSpecAnswer('POST', lunsPath, 'the injected fault answers 202 with a body that is not JSON');
    await using client = clientFor(sim);
    const error = await rejection(
      client.submit({
        method: 'POST',
        path: lunsPath,
        body: lunRequest('lun_malformed', { body: references }).body,
        headers: { 'X-Correlation-Id': correlationId },
      }),
    );
    expect(error).toBeInstanceOf(AiqumResponseValidationError);
    expect(error).toMatchObject({ status: 202, ambiguous: true, retryable: false });
    expect(sim.stats().requests[`POST ${lunsPath}`]).toEqual({ '202': 1 });
    expect(await groundTruth(sim, correlationId)).toMatchObject([{ responseFault: 'malformedJson' }]);
  });

  it('a POST that times out is ambiguous, and the simulator processes it after the client gave up', async () => {
    const correlationId = 'contract-post-timeout';
    sim.setScenario({
      rules: [
        { match: { method: 'POST', path: lunsPath }, faults: { latencyMs: 400 } },
        { job: { durationMs: 100 } },
      ],
    });
    await using client = clientFor(sim, { timeoutMs: 100 });
    const error = await rejection(
      client.submit({
        method: 'POST',
        path: lunsPath,
        body: lunRequest('lun_timeout', { body: references }).body,
        headers: { 'X-Correlation-Id': correlationId },
      }),
    );
    expect(error).toBeInstanceOf(AiqumTimeoutError);
    expect(error).toMatchObject({ code: 'AIQUM_TIMEOUT', ambiguous: true, retryable: false });
    // The write was still in the simulator's hands when the client gave up; wait until it lands.
    const truth = await vi.waitFor(
      async () => {
        const records = await groundTruth(sim, correlationId);
        if (records.length === 0) throw new Error('not processed yet');
        return records;
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(truth).toMatchObject([{ correlationId, processed: true }]);
    expect(sim.stats().submissions[correlationId]).toBe(1);
  });

  it('the connections option caps concurrent requests to the server', async () => {
    sim.setScenario({ rules: [{ match: { method: 'GET', path: svmsPath }, faults: { latencyMs: 100 } }] });
    await using client = clientFor(sim, { connections: 2 });
    const answers = await Promise.all(Array.from({ length: 8 }, () => client.get(svmsPath)));
    expect(answers).toHaveLength(8);
    const stats = sim.stats();
    expect(stats.requests[`GET ${svmsPath}`]).toEqual({ '200': 8 });
    expect(stats.peakConcurrentRequests).toBe(2);
  });
});
