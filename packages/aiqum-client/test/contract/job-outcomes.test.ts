import type { Simulator } from '@aiqum-jobs/aiqum-simulator';
import { lunRequest } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AiqumBadRequestError, type AiqumClient, exactFilterValue } from '../../src/index.js';
import { rejection } from '../helpers.js';
import {
  clientFor,
  collect,
  keyedRecord,
  type LunReferences,
  lunReferences,
  quickWait,
  startHttpsSimulator,
} from './contract-helpers.js';

const lunsPath = '/api/storage-provider/luns';
const reasons = {
  error: 'Aggregate aggr1_01 has no space left for the LUN.',
  aborted: 'The job was aborted by user admin.',
  warning: 'The LUN was created; its volume is over 90% full.',
};

describe('contract: how jobs end, as the specification has them', () => {
  let sim: Simulator;
  let client: AiqumClient;
  let references: LunReferences;
  beforeAll(async () => {
    sim = await startHttpsSimulator({
      scenario: {
        rules: [
          {
            match: { body: { name: 'fails_*' } },
            job: { durationMs: 100, outcomes: { ERROR: 1 }, message: reasons.error },
          },
          {
            match: { body: { name: 'aborted_*' } },
            job: { durationMs: 300, outcomes: { ABORTED: 1 }, message: reasons.aborted },
          },
          {
            match: { body: { name: 'warns_*' } },
            job: { durationMs: 100, outcomes: { WARNING: 1 }, message: reasons.warning },
          },
          { job: { durationMs: 100 } },
        ],
      },
    });
    client = clientFor(sim);
    references = await lunReferences(sim);
  });
  afterAll(async () => {
    await client.close();
    await sim.close();
  });

  async function lunJob(name: string) {
    const submitted = await client.submit({
      method: 'POST',
      path: lunsPath,
      body: lunRequest(name, { body: references }).body,
    });
    if (submitted.kind !== 'job') throw new Error('expected a job');
    return client.waitForJob(submitted.job, quickWait);
  }

  it("reads a failed job's reason from its failing task", async () => {
    const snapshot = await lunJob('fails_1');
    expect(snapshot).toMatchObject({
      phase: 'terminal',
      dialect: 'spec',
      outcome: 'ERROR',
      state: 'completed',
      status: 'error',
      message: reasons.error,
    });
  });

  it('ends an aborted job as ABORTED, with its reason, having seen it aborting or running before', async () => {
    const states: string[] = [];
    const submitted = await client.submit({
      method: 'POST',
      path: lunsPath,
      body: lunRequest('aborted_1', { body: references }).body,
    });
    if (submitted.kind !== 'job') throw new Error('expected a job');
    const snapshot = await client.waitForJob(submitted.job, {
      ...quickWait,
      initialDelayMs: 20,
      maxDelayMs: 20,
      onProgress: (seen) => states.push(seen.state ?? ''),
    });
    expect(snapshot).toMatchObject({ phase: 'terminal', outcome: 'ABORTED', state: 'aborted' });
    expect(snapshot.message).toBe(reasons.aborted);
    expect(states.slice(0, -1).every((state) => state === 'running' || state === 'aborting')).toBe(true);
    // The abort starts halfway through the 300 ms job; polled every 20 ms, `aborting` is seen before the end.
    expect(states).toContain('aborting');
  });

  it('says why a job ended with a warning, and keeps its results', async () => {
    const snapshot = await lunJob('warns_1');
    expect(snapshot).toMatchObject({ phase: 'terminal', outcome: 'WARNING', message: reasons.warning });
    expect(snapshot.results.map((result) => result.name)).toContain('lunKey');
  });

  it('takes the 202 of data-placement as a result, not as a job', async () => {
    const result = await client.submit({
      method: 'POST',
      path: '/api/storage-provider/data-placement',
      body: { capacity: '100G', resource_keys: [references.svm.key] },
    });
    expect(result).toMatchObject({ kind: 'sync', status: 202 });
    expect(keyedRecord.safeParse(result.body).success).toBe(true);
  });

  it('keeps the string error code the server sends, and refuses a body by name with the field named', async () => {
    const error = await rejection(
      client.submit({
        method: 'POST',
        path: lunsPath,
        body: lunRequest('by_name', { body: { svm: { name: 'vs1' } } }).body,
      }),
    );
    if (!(error instanceof AiqumBadRequestError)) throw error;
    expect(typeof error.error.code).toBe('string');
    expect(error.error.target).toBe('svm.key');
  });

  it('finds an object by a composite key, which must be quoted to be exact', async () => {
    const key = references.svm.key;
    expect(key).toContain(',');
    const found = await collect(
      client.list('/api/datacenter/svm/svms', {
        filters: { key: exactFilterValue(key) },
        schema: keyedRecord,
      }),
    );
    expect(found.map((svm) => svm.key)).toEqual([key]);
  });
});
