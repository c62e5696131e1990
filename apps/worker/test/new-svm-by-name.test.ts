import type { Simulator } from '@aiqum-jobs/aiqum-simulator';
import type { RequestCompletedEvent, RequestSpec } from '@aiqum-jobs/contracts';
import { type Json, waitUntil } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byRequest, type Harness, startHarness } from './harness.js';

/**
 * What the demo's dependent batch does, one request after another: an SVM, its export policy, file shares
 * exported with it, an igroup and LUNs mapped to it, each naming what the one before made moments earlier.
 */

const gib = 1024 ** 3;
const svmFailure = 'No aggregate of cluster-02 can host the root volume of SVM vs_demo_fail';

let h: Harness;
let sim: Simulator;

beforeAll(async () => {
  h = await startHarness([
    {
      name: 'lab',
      simulator: {
        seed: 15,
        scenario: {
          rules: [
            {
              match: { method: 'POST', path: '/api/datacenter/svm/svms', body: { name: 'vs_demo_fail' } },
              job: { durationMs: 100, outcomes: { ERROR: 1 }, message: svmFailure },
            },
            { match: { method: 'POST' }, job: { durationMs: 100 } },
          ],
        },
      },
    },
  ]);
  const lab = h.simulators.get('lab');
  if (!lab) throw new Error('no simulator');
  sim = lab;
  await h.startWorker();
});
afterAll(() => h.close());

type Request = Omit<Partial<RequestSpec>, 'body'> & Pick<RequestSpec, 'method' | 'path'> & { body?: Json };

/** Submits one request and waits for its completion event. */
async function run(request: Request): Promise<RequestCompletedEvent> {
  const [spec] = await h.enqueue([{ target: 'lab', ...request }]);
  const id = spec?.requestId ?? '';
  return waitUntil(async () => byRequest(await h.completed()).get(id), { what: `${request.path} completed` });
}

/** A GET of the simulator's API as its application administrator: what AIQUM now holds. */
async function records(path: string): Promise<Array<Record<string, unknown>>> {
  const admin = sim.users.find((user) => user.role === 'application_admin');
  const authorization = `Basic ${Buffer.from(`${admin?.username}:${admin?.password}`).toString('base64')}`;
  const answer = await fetch(`${sim.url}${path}`, { headers: { authorization } });
  return ((await answer.json()) as { records: Array<Record<string, unknown>> }).records;
}

const onCluster02 = (name: string) => ({ name, cluster: { name: 'cluster-02' } });

const svmCreate = (name: string): Request => ({
  method: 'POST',
  path: '/api/datacenter/svm/svms',
  body: { name, cluster: { name: 'cluster-02' } },
});

const igroupCreate = (name: string, svm: string): Request => ({
  method: 'POST',
  path: '/api/datacenter/protocols/san/igroups',
  body: { name, os_type: 'linux', protocol: 'iscsi', svm: onCluster02(svm) },
});

const fileShareCreate = (name: string, svm: string, exportPolicy: string): Request => ({
  method: 'POST',
  path: '/api/storage-provider/file-shares',
  body: {
    name,
    svm: onCluster02(svm),
    space: { size: 10 * gib },
    performance_service_level: { name: 'Value' },
    // Looked up in the share's SVM.
    access_control: { export_policy: { name: exportPolicy } },
  },
});

describe('provisioning a new SVM by name, one request after another', () => {
  it('creates the SVM, its export policy, shares exported with it, an igroup and LUNs mapped to it', async () => {
    // Named before it exists: not found, and that miss must not hide the SVM once it is made.
    const early = await run(igroupCreate('ig_demo', 'vs_demo'));
    expect(early).toMatchObject({ outcome: 'failed', error: { code: 'NAME_NOT_FOUND', field: 'svm' } });

    const svm = await run(svmCreate('vs_demo'));
    expect(svm.outcome, JSON.stringify(svm.error)).toBe('succeeded');
    const svmKey = svm.jobResults.find((result) => result.name === 'svmKey')?.value;
    expect(svmKey).toEqual(expect.any(String));
    expect((await records('/api/datacenter/svm/svms?name=vs_demo')).map((record) => record.key)).toEqual([
      svmKey,
    ]);

    // Unified Manager only reads export policies: the new one is made through ONTAP, which takes the SVM by name.
    const [gateway] = await records('/api/gateways?name=cluster-02');
    const policy = await run({
      method: 'POST',
      path: `/api/gateways/${String(gateway?.uuid)}/protocols/nfs/export-policies`,
      body: {
        name: 'ep_demo',
        svm: { name: 'vs_demo' },
        rules: [
          { clients: [{ match: '10.40.0.0/16' }], protocols: ['nfs3'], ro_rule: ['sys'], rw_rule: ['sys'] },
        ],
      },
    });
    expect(policy.outcome, JSON.stringify(policy.error)).toBe('succeeded');
    const [policyRecord] = await records('/api/datacenter/protocols/nfs/export-policies?name=ep_demo');

    for (const name of ['fs_demo_home', 'fs_demo_data']) {
      const share = await run(fileShareCreate(name, 'vs_demo', 'ep_demo'));
      expect(share.outcome, JSON.stringify(share.error)).toBe('succeeded');
      expect(share.resolved?.find((reference) => reference.field === 'svm')?.key).toBe(svmKey);
      expect(
        share.resolved?.find((reference) => reference.field === 'access_control.export_policy'),
      ).toMatchObject({ reference: { name: 'ep_demo', svm: { name: 'vs_demo' } }, key: policyRecord?.key });
    }
    const shares = await records('/api/storage-provider/file-shares?svm.name=vs_demo&order_by=name');
    expect(
      shares.map((share) => [
        share.name,
        (share.access_control as { export_policy?: unknown }).export_policy,
      ]),
    ).toEqual([
      ['fs_demo_data', expect.objectContaining({ key: policyRecord?.key, name: 'ep_demo' })],
      ['fs_demo_home', expect.objectContaining({ key: policyRecord?.key, name: 'ep_demo' })],
    ]);

    const igroup = await run(igroupCreate('ig_demo', 'vs_demo'));
    expect(igroup.outcome, JSON.stringify(igroup.error)).toBe('succeeded');
    const igroupKey = (igroup.response as { key?: string } | undefined)?.key;
    for (const [index, name] of ['lun_demo_db', 'lun_demo_log'].entries()) {
      const lun = await run({
        method: 'POST',
        path: '/api/storage-provider/luns',
        body: {
          name,
          os_type: 'linux',
          space: { size: gib },
          svm: onCluster02('vs_demo'),
          performance_service_level: { name: 'Value' },
          // Looked up in the LUN's SVM.
          lun_maps: [{ igroup: { name: 'ig_demo' }, logical_unit_number: index }],
        },
      });
      expect(lun.outcome, JSON.stringify(lun.error)).toBe('succeeded');
      expect(lun.resolved?.find((reference) => reference.field === 'lun_maps.0.igroup')?.key).toBe(igroupKey);
    }
    const luns = await records('/api/storage-provider/luns?svm.name=vs_demo&order_by=name');
    expect(luns.map((lun) => [lun.name, lun.lun_maps])).toEqual([
      [
        '/vol/AIQUM_vol_lun_demo_db/lun_demo_db',
        [
          expect.objectContaining({
            igroup: expect.objectContaining({ key: igroupKey, name: 'ig_demo' }),
            logical_unit_number: 0,
          }),
        ],
      ],
      [
        '/vol/AIQUM_vol_lun_demo_log/lun_demo_log',
        [
          expect.objectContaining({
            igroup: expect.objectContaining({ key: igroupKey, name: 'ig_demo' }),
            logical_unit_number: 1,
          }),
        ],
      ],
    ]);
  });

  it('ends the SVM creation a scenario fails failed, and what names that SVM finds nothing and sends nothing', async () => {
    const svm = await run(svmCreate('vs_demo_fail'));
    expect(svm).toMatchObject({
      outcome: 'failed',
      jobState: { state: 'completed', status: 'error' },
      jobResults: [],
    });
    expect(svm.error?.message).toContain(svmFailure);
    expect(await records('/api/datacenter/svm/svms?name=vs_demo_fail')).toEqual([]);

    const share = await run(fileShareCreate('fs_demo_fail', 'vs_demo_fail', 'default'));
    expect(share).toMatchObject({ outcome: 'failed', error: { code: 'NAME_NOT_FOUND', field: 'svm' } });
    expect(sim.stats().submissions[share.requestId]).toBeUndefined();
  });
});
