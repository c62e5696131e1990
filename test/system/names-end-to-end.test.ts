import { seedInventoryKeys } from '@aiqum-jobs/aiqum-simulator';
import type { RequestInput } from '@aiqum-jobs/contracts';
import { type Json, lunRequest, waitUntil } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judge, SimulatorReader } from '../src/ground-truth.js';
import { guaranteesKept, PipelineUnderTest, type ServiceProcess } from '../src/index.js';

/**
 * A provisioning batch written only by name, through the producer API and worker processes, against a
 * simulator that refuses names as Unified Manager does: every write it accepted carried keys. Names that
 * match nothing or more than one object end `failed` and never reach AIQUM; a lookup answered 503 is retried.
 */

const keys = seedInventoryKeys(1);
const gib = 1024 ** 3;
const vs1 = { name: 'vs1', cluster: { name: 'cluster-01' } };
const vs3 = { name: 'vs3', cluster: { name: 'cluster-02' } };

const jobRules = [
  { match: { body: { name: '*_warn' } }, job: { durationMs: 300, outcomes: { WARNING: 1 as const } } },
  { match: { method: 'POST' }, job: { durationMs: { min: 100, max: 800 } } },
];

let pipeline: PipelineUnderTest;
let api: ServiceProcess;
let reader: SimulatorReader;

beforeAll(async () => {
  pipeline = await PipelineUnderTest.start({
    workers: 2,
    simulator: {
      tls: true,
      scenario: {
        rules: [
          // Aggregates are looked up while AIQUM answers 503: the worker must retry until it stops.
          {
            match: { method: 'GET', path: '/api/datacenter/storage/aggregates' },
            faults: { statuses: [{ status: 503, rate: 1, retryAfterSeconds: 1 }] },
          },
          ...jobRules,
        ],
      },
    },
  });
  api = await pipeline.startProducerApi();
  reader = new SimulatorReader(pipeline.simulator);
}, 60_000);
afterAll(async () => {
  reader.close();
  await pipeline.close();
});

/** A LUN on target lab with every reference by name; `fields` replace or add body fields. */
function lun(name: string, svm: Json, fields: { [field: string]: Json } = {}): RequestInput {
  const body = {
    svm,
    performance_service_level: { name: 'Performance' },
    storage_efficiency_policy: { name: 'Default' },
    ...fields,
  };
  return { target: 'lab', ...lunRequest(name, { body }) };
}

describe('a batch written by name', () => {
  it('runs end to end with keys sent, outcomes that match the ground truth, and clear name errors', async () => {
    const good: RequestInput[] = [
      ...Array.from({ length: 30 }, (_, i) =>
        lun(`lun_name_${i}`, i % 2 === 0 ? vs1 : vs3, {
          ...(i % 2 === 0
            ? { lun_maps: [{ igroup: { name: 'ig_linux_vs1' }, logical_unit_number: i }] }
            : {}),
          ...(i % 5 === 0 ? { aggregate: { name: i % 2 === 0 ? 'aggr1_01' : 'aggr1_02' } } : {}),
        }),
      ),
      lun('lun_name_warn', vs1),
      ...['fs_team_a', 'fs_team_b'].map(
        (name): RequestInput => ({
          target: 'lab',
          method: 'POST',
          path: '/api/storage-provider/file-shares',
          body: {
            name,
            space: { size: 10 * gib },
            svm: vs3,
            performance_service_level: { name: 'Value' },
            access_control: { export_policy: { name: 'ep_hosts' } },
          },
        }),
      ),
      // Every SVM has an export policy named default: it is looked up in the share's SVM, given here by key.
      {
        target: 'lab',
        method: 'POST',
        path: '/api/storage-provider/file-shares',
        body: {
          name: 'fs_svm_by_key',
          space: { size: gib },
          svm: { key: keys.svms.vs1 ?? '' },
          performance_service_level: { name: 'Value' },
          access_control: { export_policy: { name: 'default' } },
        },
      },
      {
        target: 'lab',
        method: 'POST',
        path: '/api/datacenter/protocols/san/igroups',
        body: { name: 'ig_by_name', os_type: 'linux', protocol: 'iscsi', svm: vs1 },
      },
    ];
    const unknownNames = [
      lun('lun_no_svm', { name: 'vs_nowhere' }),
      lun('lun_no_level', vs1, { performance_service_level: { name: 'Platinum' } }),
    ];
    // A second SVM named vs1, on cluster-02, made by name through the pipeline: "vs1" alone says nothing now.
    const svmMade = await fetch(`${api.url}/v1/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        target: 'lab',
        method: 'POST',
        path: '/api/datacenter/svm/svms',
        body: { name: 'vs1', cluster: { name: 'cluster-02' } },
      }),
    });
    const { requestId: svmRequestId } = (await svmMade.json()) as { requestId: string };
    const svmEvent = await waitUntil(async () =>
      (await pipeline.events({ types: ['request.completed'] })).find(
        (event) => event.requestId === svmRequestId,
      ),
    );
    expect(svmEvent.outcome).toBe('succeeded');
    const ambiguous = lun('lun_which_vs1', { name: 'vs1' });
    const requests = [...good, ...unknownNames, ambiguous];
    const submitted = await fetch(`${api.url}/v1/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ requests }),
    });
    expect(submitted.status).toBe(202);
    const { batchId, requestIds } = (await submitted.json()) as { batchId: string; requestIds: string[] };
    await waitUntil(() => (pipeline.simulator.stats().faults['503'] ?? 0) >= 2 || undefined, {
      what: 'two aggregate lookups answered 503',
    });
    pipeline.simulator.setScenario({ rules: jobRules });
    await pipeline.waitForBatch(batchId, 60_000);
    expect(await pipeline.report(batchId, requestIds)).toMatchObject(guaranteesKept(requests.length));

    const completed = new Map(
      (await pipeline.events({ types: ['request.completed'] })).map((event) => [event.requestId, event]),
    );
    const truths = await reader.groundTruth(requestIds);
    const mismatches: string[] = [];
    // The LUNs and file shares made jobs: judged against what the simulator did.
    const jobIds = requestIds.slice(0, good.length - 1);
    for (const requestId of jobIds) {
      const event = completed.get(requestId);
      const truth = truths.get(requestId);
      if (!event || !truth) throw new Error(`request ${requestId} has no event or no ground truth`);
      const { mismatch } = judge(event, truth);
      if (mismatch !== undefined) mismatches.push(`${requestId}: ${mismatch}`);
      // The simulator refuses names (400): an accepted write carried keys, the ones the event shows.
      expect(event.outcome === 'succeeded' || event.outcome === 'warning', JSON.stringify(event.error)).toBe(
        true,
      );
      expect(event.resolved?.length ?? 0).toBeGreaterThanOrEqual(1);
    }
    expect(mismatches).toEqual([]);
    const byKeyShare = completed.get(requestIds[good.length - 2] ?? '');
    expect(byKeyShare?.resolved?.find((r) => r.field === 'access_control.export_policy')?.key).toBe(
      keys.exportPolicies['vs1/default'],
    );
    const igroup = completed.get(requestIds[good.length - 1] ?? '');
    expect(igroup).toMatchObject({ outcome: 'succeeded', response: { name: 'ig_by_name' } });
    expect(igroup?.resolved?.[0]?.key).toBe(keys.svms.vs1);
    const lunEvent = completed.get(requestIds[0] ?? '');
    expect(lunEvent?.resolved?.map((reference) => [reference.field, reference.key])).toEqual([
      ['svm', keys.svms.vs1],
      ['aggregate', keys.aggregates.aggr1_01],
      ['performance_service_level', keys.performanceServiceLevels.Performance],
      ['storage_efficiency_policy', keys.storageEfficiencyPolicies.Default],
      ['lun_maps.0.igroup', keys.igroups.ig_linux_vs1],
    ]);
    const shareEvent = completed.get(requestIds[31] ?? '');
    expect(shareEvent?.resolved?.find((r) => r.field === 'access_control.export_policy')?.key).toBe(
      keys.exportPolicies['vs3/ep_hosts'],
    );

    const failedIds = requestIds.slice(good.length);
    expect(failedIds.map((id) => [completed.get(id)?.outcome, completed.get(id)?.error?.code])).toEqual([
      ['failed', 'NAME_NOT_FOUND'],
      ['failed', 'NAME_NOT_FOUND'],
      ['failed', 'NAME_AMBIGUOUS'],
    ]);
    expect(completed.get(failedIds[1] ?? '')?.error).toMatchObject({ field: 'performance_service_level' });
    expect(completed.get(failedIds[1] ?? '')?.error?.message).toContain('Platinum');
    expect(completed.get(failedIds[2] ?? '')?.error?.candidates?.length).toBeGreaterThanOrEqual(2);
    // Nothing reached AIQUM for them.
    const submissions = pipeline.simulator.stats().submissions;
    for (const id of failedIds) expect(submissions[id]).toBeUndefined();

    // The API shows what was sent.
    const view = await fetch(`${api.url}/v1/requests/${requestIds[0]}`);
    expect(((await view.json()) as { resolved?: unknown[] }).resolved).toEqual(lunEvent?.resolved);
  });
});
