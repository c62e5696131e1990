import type { Simulator } from '@aiqum-jobs/aiqum-simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AiqumBadRequestError, type AiqumClient, AiqumNotFoundError, type JobRef } from '../../src/index.js';
import { rejection } from '../helpers.js';
import {
  adjustableClock,
  clientFor,
  collect,
  gib,
  quickWait,
  resultOf,
  startHttpsSimulator,
} from './contract-helpers.js';

const purgeSeconds = 300;
const gatewayCluster = z.looseObject({ uuid: z.string(), name: z.string() });

describe('contract: ONTAP gateway', () => {
  const clock = adjustableClock();
  let sim: Simulator;
  let client: AiqumClient;
  let clusterUuid: string;
  beforeAll(async () => {
    sim = await startHttpsSimulator({
      now: clock.now,
      ontapJobPurgeSeconds: purgeSeconds,
      scenario: { rules: [{ match: { path: '/api/gateways/**' }, job: { durationMs: 200 } }] },
    });
    client = clientFor(sim);
    const [first] = await collect(client.list('/api/gateways', { schema: gatewayCluster }));
    if (!first) throw new Error('the simulator manages no cluster');
    clusterUuid = first.uuid;
  });
  afterAll(async () => {
    await client.close();
    await sim.close();
  });

  const createVolume = (name: string, query = '') =>
    client.submit({
      method: 'POST',
      path: `/api/gateways/${clusterUuid}/storage/volumes${query}`,
      body: { name, svm: { name: 'vs1' }, aggregates: [{ name: 'aggr1_01' }], size: gib },
    });

  async function ontapJob(name: string): Promise<JobRef> {
    const submitted = await createVolume(name);
    if (submitted.kind !== 'job') throw new Error(`expected a job, got ${submitted.status}`);
    return submitted.job;
  }

  it('lists the managed clusters', async () => {
    const clusters = await collect(client.list('/api/gateways', { schema: gatewayCluster }));
    expect(clusters.map((cluster) => cluster.name)).toEqual(['cluster-01', 'cluster-02']);
    expect(clusterUuid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a volume POST answers an ONTAP job that ends NORMAL', async () => {
    const ref = await ontapJob('vol_gw_ok');
    expect(ref).toMatchObject({
      kind: 'ontap',
      source: 'job.uuid',
      href: expect.stringMatching(new RegExp(`^/api/gateways/${clusterUuid}/cluster/jobs/[0-9a-f-]{36}$`)),
    });
    const done = await client.waitForJob(ref, quickWait);
    expect(done).toMatchObject({ phase: 'terminal', dialect: 'ontap', outcome: 'NORMAL', state: 'success' });
  });

  it('a failing ONTAP job ends ERROR with its message and numeric code', async () => {
    // vol_db01 already exists in vs1: the job fails when it runs, not the request.
    const done = await client.waitForJob(await ontapJob('vol_db01'), quickWait);
    expect(done).toMatchObject({
      phase: 'terminal',
      dialect: 'ontap',
      outcome: 'ERROR',
      state: 'failure',
      message: 'Duplicate volume name vol_db01.',
      code: expect.any(Number),
    });
    expect(done.code).not.toBe(0);
  });

  it('return_timeout with a short job answers sync 201 with the finished job', async () => {
    const result = await createVolume('vol_gw_sync', '?return_timeout=10');
    expect(result).toMatchObject({ kind: 'sync', status: 201, body: { job: { state: 'success' } } });
  });

  it('return_timeout with a job that fails in time answers the job error, never a sync success', async () => {
    const failure = await rejection(createVolume('vol_db01', '?return_timeout=10'));
    expect(failure).toBeInstanceOf(AiqumBadRequestError);
    expect(failure).toMatchObject({
      status: 400,
      ambiguous: false,
      error: { message: 'Duplicate volume name vol_db01.' },
    });
  });

  it('a job purged after it ended is gone, never success', async () => {
    const ref = await ontapJob('vol_gw_purged');
    expect(await client.waitForJob(ref, quickWait)).toMatchObject({ phase: 'terminal', outcome: 'NORMAL' });
    clock.advance((purgeSeconds + 1) * 1000);

    const gone = await client.getJob(ref);
    expect(gone.phase).toBe('gone');
    expect(gone).not.toHaveProperty('outcome');
    expect(resultOf(gone, 'volumeKey')).toBeUndefined();
    // Without the knowledge that the job existed, the same 404 is an error, not a snapshot.
    expect(await rejection(client.getJob(ref, { seenBefore: false }))).toBeInstanceOf(AiqumNotFoundError);
  });
});
