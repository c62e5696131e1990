import { seedInventoryKeys } from '@aiqum-jobs/aiqum-simulator';
import { type Json, lunRequest, waitUntil } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AiqumWorker } from '../src/index.js';
import { byRequest, type Harness, startHarness } from './harness.js';

const seed = 31;
const keys = seedInventoryKeys(seed);
const luns = '/api/storage-provider/luns';
const gib = 1024 ** 3;

const vs1OfCluster01 = { name: 'vs1', cluster: { name: 'cluster-01' } };

/** A LUN written as a change ticket says it: every object by name; `fields` replace or add body fields. */
function lunByName(name: string, svm: Json = vs1OfCluster01, fields: { [field: string]: Json } = {}) {
  return lunRequest(name, {
    body: {
      svm,
      performance_service_level: { name: 'Extreme Performance' },
      storage_efficiency_policy: { name: 'Default' },
      lun_maps: [{ igroup: { name: 'ig_linux_vs1' }, logical_unit_number: 3 }],
      ...fields,
    },
  });
}

const lookups = (h: Harness, route: string): number =>
  Object.values(h.simulators.get('lab')?.stats().requests[`GET ${route}`] ?? {}).reduce((a, b) => a + b, 0);

let h: Harness;
let firstWorker: AiqumWorker;

beforeAll(async () => {
  h = await startHarness([
    {
      name: 'lab',
      simulator: {
        seed,
        scenario: {
          rules: [
            { match: { method: 'POST', body: { name: 'slow_*' } }, job: { durationMs: 3_000 } },
            { match: { method: 'POST' }, job: { durationMs: 100 } },
          ],
        },
      },
    },
  ]);
  firstWorker = await h.startWorker();
});
afterAll(() => h.close());

describe('writes by name', () => {
  it('looks every name up once for a batch, sends keys only, and shows what it sent', async () => {
    const before = lookups(h, '/api/datacenter/svm/svms');
    const specs = await h.enqueue(
      Array.from({ length: 20 }, (_, index) => ({
        target: 'lab',
        ...lunByName(`byname_${index}`),
      })),
    );
    const completed = await waitUntil(async () => {
      const found = byRequest(await h.completed());
      return specs.every((spec) => found.has(spec.requestId)) ? found : undefined;
    });
    for (const spec of specs) {
      const event = completed.get(spec.requestId);
      expect(event?.outcome, JSON.stringify(event?.error)).toBe('succeeded');
    }
    const event = completed.get(specs[0]?.requestId ?? '');
    expect(event?.resolved).toEqual([
      {
        field: 'svm',
        kind: 'svm',
        reference: { name: 'vs1', cluster: { name: 'cluster-01' } },
        key: keys.svms.vs1,
      },
      {
        field: 'performance_service_level',
        kind: 'performanceServiceLevel',
        reference: { name: 'Extreme Performance' },
        key: keys.performanceServiceLevels['Extreme Performance'],
      },
      {
        field: 'storage_efficiency_policy',
        kind: 'storageEfficiencyPolicy',
        reference: { name: 'Default' },
        key: keys.storageEfficiencyPolicies.Default,
      },
      {
        field: 'lun_maps.0.igroup',
        kind: 'igroup',
        // The igroup inherits the LUN's SVM: it must be in it.
        reference: { name: 'ig_linux_vs1', svm: { name: 'vs1' }, cluster: { name: 'cluster-01' } },
        key: keys.igroups.ig_linux_vs1,
      },
    ]);
    // The record keeps them too, for the API.
    expect((await h.store.records.get(specs[0]?.requestId ?? ''))?.resolved).toEqual(event?.resolved);
    // Twenty writes naming one SVM: one lookup of it (the others waited for it or found it cached).
    expect(lookups(h, '/api/datacenter/svm/svms') - before).toBe(1);
    // The simulator refuses names, so every LUN it made proves its write carried keys; each was sent once.
    const stats = h.simulators.get('lab')?.stats();
    for (const spec of specs) expect(stats?.submissions[spec.requestId]).toBe(1);
  });

  it('ends an unknown name failed, naming the field and the name, and submits nothing', async () => {
    const [spec] = await h.enqueue([{ target: 'lab', ...lunByName('nowhere', { name: 'vs_nowhere' }) }]);
    const event = await waitUntil(async () => byRequest(await h.completed()).get(spec?.requestId ?? ''));
    expect(event).toMatchObject({ outcome: 'failed', error: { code: 'NAME_NOT_FOUND', field: 'svm' } });
    expect(event.error?.message).toContain('vs_nowhere');
    expect(h.simulators.get('lab')?.stats().submissions[spec?.requestId ?? '']).toBeUndefined();
  });

  it('ends an ambiguous name failed with its candidates, and a qualified one succeeds', async () => {
    // A second SVM named vs1, on cluster-02: "vs1" alone no longer says which.
    const sim = h.simulators.get('lab');
    if (!sim) throw new Error('no simulator');
    const admin = sim.users.find((user) => user.role === 'application_admin');
    const authorization = `Basic ${Buffer.from(`${admin?.username}:${admin?.password}`).toString('base64')}`;
    const created = await fetch(`${sim.url}/api/datacenter/svm/svms`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'vs1', cluster: { key: keys.clusters['cluster-02'] } }),
    });
    expect(created.status).toBe(202);
    await waitUntil(async () => {
      const answer = await fetch(`${sim.url}/api/datacenter/svm/svms?name=vs1`, {
        headers: { authorization },
      });
      const body = (await answer.json()) as { num_records: number };
      return body.num_records === 2 || undefined;
    });
    const [ambiguous, qualified] = await h.enqueue([
      { target: 'lab', ...lunByName('which_vs1', { name: 'vs1' }) },
      { target: 'lab', ...lunByName('this_vs1') },
    ]);
    const completed = await waitUntil(async () => {
      const found = byRequest(await h.completed());
      const a = found.get(ambiguous?.requestId ?? '');
      const b = found.get(qualified?.requestId ?? '');
      return a && b ? { a, b } : undefined;
    });
    expect(completed.a).toMatchObject({ outcome: 'failed', error: { code: 'NAME_AMBIGUOUS', field: 'svm' } });
    expect(completed.a.error?.candidates?.map((candidate) => candidate.cluster).sort()).toEqual([
      'cluster-01',
      'cluster-02',
    ]);
    expect(sim.stats().submissions[ambiguous?.requestId ?? '']).toBeUndefined();
    expect(completed.b.outcome).toBe('succeeded');
  });

  it('names the object of a path: PATCH /luns/{key} given the LUN by name', async () => {
    const [spec] = await h.enqueue([
      {
        target: 'lab',
        method: 'PATCH',
        path: `${luns}/{key}`,
        object: { name: '/vol/vol_db01/lun_db01', svm: { name: 'vs1' } },
        body: { space: { size: 200 * gib } },
      },
    ]);
    const event = await waitUntil(async () => byRequest(await h.completed()).get(spec?.requestId ?? ''));
    expect(event.outcome, JSON.stringify(event.error)).toBe('succeeded');
    expect(event.resolved?.[0]).toMatchObject({ field: 'path', kind: 'lun' });
    expect(event.path).toBe(`${luns}/{key}`);
  });

  it('never ends a tracked request because its queue job ran again and a name no longer resolves', async () => {
    const [spec] = await h.enqueue([{ target: 'lab', ...lunByName('slow_1') }]);
    if (!spec) throw new Error('no spec');
    await waitUntil(
      async () => (await h.store.records.get(spec.requestId))?.status === 'tracking' || undefined,
    );
    // A stalled queue job runs again, here with a name that now matches nothing.
    const rerun = await h.queue.add(
      'request',
      { ...spec, body: lunByName('slow_1', { name: 'vs_deleted_since' }).body },
      { jobId: `${spec.requestId}-rerun` },
    );
    // A finished queue job is removed (its state is then unknown).
    await waitUntil(
      async () => ['completed', 'unknown'].includes(await h.queue.getJobState(rerun.id ?? '')) || undefined,
      { what: 'the re-run queue job' },
    );
    expect((await h.store.records.get(spec.requestId))?.status).toBe('tracking');
    const event = await waitUntil(async () => byRequest(await h.completed()).get(spec.requestId));
    expect(event.outcome).toBe('succeeded');
  });

  it('reads an object by name (GET of a path ending in /{key}) and sends its key in the path', async () => {
    const [spec] = await h.enqueue([
      {
        target: 'lab',
        method: 'GET',
        path: '/api/datacenter/svm/svms/{key}',
        object: { name: 'vs3', cluster: { name: 'cluster-02' } },
      },
    ]);
    const event = await waitUntil(async () => byRequest(await h.completed()).get(spec?.requestId ?? ''));
    expect(event.outcome, JSON.stringify(event.error)).toBe('succeeded');
    expect(event.response).toMatchObject({ key: keys.svms.vs3, name: 'vs3' });
  });

  it("looks a LUN map's igroup up in the LUN's SVM when that SVM is given by key", async () => {
    const [spec] = await h.enqueue([
      {
        target: 'lab',
        ...lunByName('svm_by_key', { key: keys.svms.vs1 ?? '' }),
      },
    ]);
    const event = await waitUntil(async () => byRequest(await h.completed()).get(spec?.requestId ?? ''));
    expect(event.outcome, JSON.stringify(event.error)).toBe('succeeded');
    expect(event.resolved?.find((reference) => reference.field === 'lun_maps.0.igroup')).toMatchObject({
      reference: { name: 'ig_linux_vs1', svmKey: keys.svms.vs1 },
      key: keys.igroups.ig_linux_vs1,
    });
  });

  it('retries a lookup that AIQUM answers 503, and the request succeeds', async () => {
    const sim = h.simulators.get('lab');
    if (!sim) throw new Error('no simulator');
    sim.setScenario({
      rules: [
        {
          match: { method: 'GET', path: '/api/datacenter/storage/volumes' },
          faults: { statuses: [{ status: 503, rate: 1, retryAfterSeconds: 1 }] },
        },
        { match: { method: 'PATCH' }, job: { durationMs: 100 } },
      ],
    });
    const [spec] = await h.enqueue([
      {
        target: 'lab',
        ...lunByName('in_volume', vs1OfCluster01, { volume: { name: 'vol_db01' } }),
      },
    ]);
    await waitUntil(() => (sim.stats().faults['503'] ?? 0) >= 2 || undefined, { what: 'two 503 answers' });
    sim.setScenario({ rules: [{ match: { method: 'POST' }, job: { durationMs: 100 } }] });
    const event = await waitUntil(async () => byRequest(await h.completed()).get(spec?.requestId ?? ''));
    expect(event.outcome, JSON.stringify(event.error)).toBe('succeeded');
    expect(event.resolved?.find((reference) => reference.field === 'volume')?.key).toBe(
      keys.volumes.vol_db01,
    );
  });

  it('leaves a request whose lookup a shutdown cut to the next worker, which submits it', async () => {
    const sim = h.simulators.get('lab');
    if (!sim) throw new Error('no simulator');
    const jobRules = [{ match: { method: 'POST' }, job: { durationMs: 100 } }];
    // vs2 was never looked up: its lookup is the slow one the shutdown cuts.
    sim.setScenario({
      rules: [
        { match: { method: 'GET', path: '/api/datacenter/svm/svms' }, faults: { latencyMs: 3_000 } },
        ...jobRules,
      ],
    });
    const [spec] = await h.enqueue([
      {
        target: 'lab',
        // vs2 has no ig_linux_vs1: this LUN is mapped to nothing.
        ...lunByName('after_shutdown', { name: 'vs2', cluster: { name: 'cluster-01' } }, { lun_maps: [] }),
      },
    ]);
    await waitUntil(() => (sim.stats().faults.latency ?? 0) >= 1 || undefined, { what: 'the slow lookup' });
    await firstWorker.close();
    sim.setScenario({ rules: jobRules });
    expect((await h.store.records.get(spec?.requestId ?? ''))?.status).toBe('queued');
    await h.startWorker();
    const event = await waitUntil(async () => byRequest(await h.completed()).get(spec?.requestId ?? ''));
    expect(event.outcome, JSON.stringify(event.error)).toBe('succeeded');
  });
});
