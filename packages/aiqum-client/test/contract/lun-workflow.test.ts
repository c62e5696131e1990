import type { Simulator } from '@aiqum-jobs/aiqum-simulator';
import { lunRequest } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AiqumClient, AiqumNotFoundError, type JobRef, type JobSnapshot } from '../../src/index.js';
import { rejection } from '../helpers.js';
import {
  adjustableClock,
  clientFor,
  collect,
  findOne,
  gib,
  groundTruth,
  keyedRecord,
  lunReferences,
  quickWait,
  resultOf,
  startHttpsSimulator,
} from './contract-helpers.js';

const lunsPath = '/api/storage-provider/luns';
// Long enough that a job is certainly running until the test moves the simulator's clock.
const jobDurationMs = 60_000;
const failureMessage = 'Simulated: aggregate aggr1_01 has no space left';

// How each dialect spells a running job; the client must read both as running.
const runningSpelling = {
  docs: { state: 'RUNNING', status: 'RUNNING' },
  spec: { state: 'running', status: 'normal' },
} as const;

describe.each(['docs', 'spec'] as const)('contract: LUN provisioning, %s dialect', (dialect) => {
  const clock = adjustableClock();
  let sim: Simulator;
  let client: AiqumClient;
  beforeAll(async () => {
    sim = await startHttpsSimulator({
      dialect,
      now: clock.now,
      scenario: {
        rules: [
          {
            match: { method: 'POST', path: lunsPath, body: { name: 'lun_fail_*' } },
            job: { durationMs: jobDurationMs, outcomes: { ERROR: 1 }, message: failureMessage },
          },
          { job: { durationMs: jobDurationMs } },
        ],
      },
    });
    client = clientFor(sim);
  });
  afterAll(async () => {
    await client.close();
    await sim.close();
  });

  /** Waits for the job, ending it in the simulator as soon as the client has seen it running. */
  const waitEndingOnFirstRun = (ref: JobRef): Promise<JobSnapshot> => {
    let ended = false;
    return client.waitForJob(ref, {
      ...quickWait,
      onProgress: (seen) => {
        if (seen.phase === 'running' && !ended) {
          ended = true;
          clock.advance(jobDurationMs);
        }
      },
    });
  };

  it('looks up an SVM and a performance service level by name', async () => {
    const svm = await findOne(client, '/api/datacenter/svm/svms', 'vs1');
    expect(svm.key).toMatch(/:type=vserver,uuid=/);
    const psl = await findOne(client, '/api/storage-provider/performance-service-levels', 'Value');
    expect(psl.key).toEqual(expect.any(String));
  });

  it('pages through a dotted filter and a wildcard filter with a small pageSize', async () => {
    sim.reset();
    const onVs1 = await collect(
      client.list(lunsPath, { filters: { 'svm.name': 'vs1' }, pageSize: 1, schema: keyedRecord }),
    );
    expect(onVs1.map((lun) => lun.name)).toEqual(['/vol/vol_db01/lun_db01', '/vol/vol_db01/lun_db02']);
    expect(sim.stats().requests[`GET ${lunsPath}`]).toEqual({ '200': 2 });

    sim.reset();
    const databases = await collect(
      client.list(lunsPath, { filters: { name: '*lun_db*' }, pageSize: 2, schema: keyedRecord }),
    );
    expect(databases.map((lun) => lun.name)).toEqual([
      '/vol/vol_db01/lun_db01',
      '/vol/vol_db01/lun_db02',
      '/vol/vol_db03/lun_db03',
    ]);
    expect(sim.stats().requests[`GET ${lunsPath}`]).toEqual({ '200': 2 });
  });

  it('submits a LUN, sees its job running, waits for NORMAL and finds the LUN', async () => {
    const name = `lun_contract_${dialect}`;
    const correlationId = `contract-lun-${dialect}`;
    const svm = await findOne(client, '/api/datacenter/svm/svms', 'vs1');
    const psl = await findOne(client, '/api/storage-provider/performance-service-levels', 'Value');

    const submitted = await client.submit({
      method: 'POST',
      path: lunsPath,
      body: lunRequest(name, { body: { svm: { key: svm.key }, performance_service_level: { key: psl.key } } })
        .body,
      headers: { 'X-Correlation-Id': correlationId },
    });
    if (submitted.kind !== 'job') throw new Error(`expected a job, got ${submitted.status}`);
    expect(submitted.status).toBe(202);
    const ref = submitted.job;
    expect(ref).toMatchObject({ kind: 'aiqum', source: 'job.key' });
    if (ref.kind !== 'aiqum') throw new Error('expected an AIQUM job');
    expect(ref.key).toContain(':');
    expect(ref.href).toBe(`/api/management-server/jobs/${encodeURIComponent(ref.key)}`);

    const first = await client.getJob(ref);
    expect(first).toMatchObject({ phase: 'running', ...runningSpelling[dialect] });

    const done = await waitEndingOnFirstRun(ref);
    expect(done).toMatchObject({ phase: 'terminal', outcome: 'NORMAL', dialect });
    const lunKey = resultOf(done, 'lunKey');
    expect(lunKey).toMatch(/:type=lun,uuid=/);

    const found = await collect(
      client.list(lunsPath, { filters: { name: `/vol/AIQUM_vol_${name}/${name}` }, schema: keyedRecord }),
    );
    expect(found.map((lun) => lun.key)).toEqual([lunKey]);

    // The id the client sent is the one the simulator counted, exactly once.
    expect(sim.stats().submissions[correlationId]).toBe(1);
    expect(await groundTruth(sim, correlationId)).toMatchObject([
      { id: ref.key, correlationId, outcome: 'NORMAL', applied: true, responseFault: null },
    ]);
  });

  it('keeps the /api/v2/ prefix in the job href, and polls it there', async () => {
    sim.reset();
    const submitted = await client.submit({
      method: 'POST',
      path: '/api/v2/storage-provider/luns',
      body: lunRequest(`lun_v2_${dialect}`, {
        body: await lunReferences(sim, { svm: 'vs2', psl: 'Performance' }),
      }).body,
    });
    if (submitted.kind !== 'job' || submitted.job.kind !== 'aiqum') throw new Error('expected an AIQUM job');
    const ref = submitted.job;
    expect(ref.href).toBe(`/api/v2/management-server/jobs/${encodeURIComponent(ref.key)}`);

    const done = await waitEndingOnFirstRun(ref);
    expect(done).toMatchObject({ phase: 'terminal', outcome: 'NORMAL', dialect });
    expect(resultOf(done, 'lunKey')).toMatch(/:type=lun,uuid=/);
    expect(sim.stats().polls[ref.key]).toBeGreaterThanOrEqual(2);
  });

  it('changes and deletes a LUN addressed by its percent-encoded composite key', async () => {
    const [lun] = await collect(
      client.list(lunsPath, { filters: { name: '*/lun_db03' }, schema: keyedRecord }),
    );
    if (!lun) throw new Error('seeded lun_db03 is missing');
    expect(lun.key).toMatch(/:type=lun,uuid=/);
    const lunPath = `${lunsPath}/${encodeURIComponent(lun.key)}`;

    const patched = await client.submit({
      method: 'PATCH',
      path: lunPath,
      body: { space: { size: 2 * gib } },
    });
    if (patched.kind !== 'job') throw new Error('expected a job');
    const changed = await waitEndingOnFirstRun(patched.job);
    expect(changed).toMatchObject({ phase: 'terminal', outcome: 'NORMAL' });
    expect(resultOf(changed, 'lunKey')).toBe(lun.key);
    expect(await client.get(lunPath)).toMatchObject({ key: lun.key, space: { size: 2 * gib } });

    const deleted = await client.submit({ method: 'DELETE', path: lunPath });
    if (deleted.kind !== 'job') throw new Error('expected a job');
    expect(await waitEndingOnFirstRun(deleted.job)).toMatchObject({ phase: 'terminal', outcome: 'NORMAL' });
    expect(await rejection(client.get(lunPath))).toBeInstanceOf(AiqumNotFoundError);
  });

  it('a job that fails ends terminal ERROR with its message, and changes nothing', async () => {
    const correlationId = `contract-failing-lun-${dialect}`;
    const submitted = await client.submit({
      method: 'POST',
      path: lunsPath,
      body: lunRequest('lun_fail_1', { body: await lunReferences(sim) }).body,
      headers: { 'X-Correlation-Id': correlationId },
    });
    if (submitted.kind !== 'job') throw new Error('expected a job');
    const done = await waitEndingOnFirstRun(submitted.job);
    expect(done).toMatchObject({ phase: 'terminal', outcome: 'ERROR', dialect, message: failureMessage });
    expect(done.results).toEqual([]);
    expect(await collect(client.list(lunsPath, { filters: { name: '*/lun_fail_1' } }))).toEqual([]);
    expect(await groundTruth(sim, correlationId)).toMatchObject([{ outcome: 'ERROR', applied: false }]);
  });
});
