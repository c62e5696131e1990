import type { ScenarioInput, Simulator } from '@aiqum-jobs/aiqum-simulator';
import { lunRequest } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AiqumClient, JobRef } from '../../src/index.js';
import {
  clientFor,
  groundTruth,
  type LunReferences,
  lunReferences,
  startHttpsSimulator,
} from './contract-helpers.js';

// The simulator's opt-in long poll is Deploy's (poll_timeout, last_modified), as are the client's defaults.
const simulatorLongPoll = { longPoll: true };
const scenario: ScenarioInput = { rules: [{ job: { durationMs: 1_500 } }] };

describe('contract: long polling', () => {
  let sim: Simulator;
  let references: LunReferences;
  beforeAll(async () => {
    sim = await startHttpsSimulator({ ...simulatorLongPoll, scenario });
    references = await lunReferences(sim);
  });
  afterAll(() => sim.close());

  async function submitLun(client: AiqumClient, name: string): Promise<Extract<JobRef, { kind: 'aiqum' }>> {
    const submitted = await client.submit({
      method: 'POST',
      path: '/api/storage-provider/luns',
      body: lunRequest(name, { body: references }).body,
      headers: { 'X-Correlation-Id': name },
    });
    if (submitted.kind !== 'job' || submitted.job.kind !== 'aiqum') throw new Error('expected an AIQUM job');
    return submitted.job;
  }

  it('with longPoll configured, one getJob returns once the job has ended', async () => {
    await using client = clientFor(sim, { longPoll: {} });
    const ref = await submitLun(client, 'lun_long_poll');

    const snapshot = await client.getJob(ref, { longPollSeconds: 20 });
    expect(snapshot).toMatchObject({ phase: 'terminal', outcome: 'NORMAL' });
    expect(sim.stats().polls[ref.key]).toBe(1);
    expect(await groundTruth(sim, 'lun_long_poll')).toMatchObject([{ settled: true, outcome: 'NORMAL' }]);
  });

  it('without longPoll configured, longPollSeconds is ignored and the first getJob sees it running', async () => {
    await using client = clientFor(sim);
    const ref = await submitLun(client, 'lun_standard_poll');

    const snapshot = await client.getJob(ref, { longPollSeconds: 20 });
    expect(snapshot).toMatchObject({ phase: 'running' });
    expect(sim.stats().polls[ref.key]).toBe(1);
  });

  it('caps the wait at maxWaitSeconds: a job still running after the cap comes back running', async () => {
    await using client = clientFor(sim, { longPoll: { maxWaitSeconds: 1 } });
    sim.setScenario({ rules: [{ job: { durationMs: 60_000 } }] });
    try {
      const ref = await submitLun(client, 'lun_capped_poll');
      const snapshot = await client.getJob(ref, { longPollSeconds: 20 });
      expect(snapshot).toMatchObject({ phase: 'running' });
      expect(sim.stats().polls[ref.key]).toBe(1);
    } finally {
      sim.setScenario(scenario);
    }
  });

  it('waitForJob with longPollSeconds needs one poll per job', async () => {
    await using client = clientFor(sim, { longPoll: {} });
    const ref = await submitLun(client, 'lun_wait_long_poll');
    const done = await client.waitForJob(ref, { longPollSeconds: 20, initialDelayMs: 50 });
    expect(done).toMatchObject({ phase: 'terminal', outcome: 'NORMAL' });
    expect(sim.stats().polls[ref.key]).toBe(1);
  });
});
