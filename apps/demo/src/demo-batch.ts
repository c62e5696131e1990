import type { ScenarioInput } from '@aiqum-jobs/aiqum-simulator';
import type { BatchRequestInput, RequestInput } from '@aiqum-jobs/contracts';
import {
  type ProvisioningOutcome,
  provisioningBatch,
  provisioningScenarioRules,
} from './provisioning-batch.js';

const gib = 1024 ** 3;

/**
 * How the demo's simulated AIQUM behaves: the creation of the provisioning's failing SVM fails (first, so
 * that no catch-all rule takes it), then names decide outcomes, so the summary can be checked against the
 * batch (`*_warn` → WARNING, `*_partial` → PARTIAL_FAILURES, `*_err` → ERROR), and jobs take 0.5-4 s.
 */
export const demoScenario: ScenarioInput = {
  rules: [
    ...provisioningScenarioRules,
    {
      match: { body: { name: '*_warn' } },
      job: {
        durationMs: { min: 500, max: 2_500 },
        outcomes: { WARNING: 1 },
        message: "The LUN was created, but its volume is over 90% of its aggregate's committed space",
      },
    },
    {
      match: { body: { name: '*_partial' } },
      job: {
        durationMs: { min: 500, max: 2_500 },
        outcomes: { PARTIAL_FAILURES: 1 },
        message: 'The LUN was created, but mapping it to igroup ig_linux_vs1 failed',
      },
    },
    {
      match: { body: { name: '*_err' } },
      job: {
        durationMs: { min: 500, max: 2_500 },
        outcomes: { ERROR: 1 },
        message: 'Aggregate aggr2_01 does not have enough space for the requested size',
      },
    },
    { match: { method: 'POST' }, job: { durationMs: { min: 500, max: 4_000 } } },
  ],
};

/** What the demo expects the batch to end with, by outcome. */
export interface DemoBatch {
  requests: BatchRequestInput[];
  expected: Record<'succeeded' | 'warning' | 'partial_failure' | 'failed' | 'skipped', number>;
  /** The outcome each request of the provisioning with dependencies must end with, by ref. */
  expectedByRef: Record<string, ProvisioningOutcome>;
}

/**
 * A realistic provisioning batch written as a change ticket names things: LUNs and file shares on SVMs of
 * cluster-01 at three service levels, LUNs mapped to an initiator group, file shares exported with the SVM's
 * export policy, a LUN resized by name, two SVMs on cluster-02, initiator groups (synchronous), lookups,
 * ONTAP volumes through the gateway, and a few calls that fail (an SVM that does not exist, a negative size)
 * or end with a warning, partial failure or error. Then a provisioning in order ({@link provisioningBatch}):
 * two new SVMs, each with its export policy, file shares, igroup and mapped LUNs depending on what they
 * name; the creation of one SVM fails, and exactly what depends on it is skipped. Unified Manager takes
 * keys: the worker looks every name up and sends keys.
 */
export function demoBatch(gatewayClusterUuid: string): DemoBatch {
  const svm = (name: string) => ({ name, cluster: { name: 'cluster-01' } });
  const luns: RequestInput[] = ['db01', 'db02', 'db03', 'web01', 'web02', 'log01', 'log02', 'app01'].map(
    (name, index) => ({
      method: 'POST',
      path: '/api/storage-provider/luns',
      body: {
        name: `lun_${name}`,
        os_type: 'linux',
        space: { size: (index + 1) * 10 * gib },
        svm: svm(index % 2 === 0 ? 'vs1' : 'vs2'),
        performance_service_level: { name: index < 3 ? 'Extreme Performance' : 'Performance' },
        storage_efficiency_policy: { name: 'Default' },
        // The initiator group is looked up in the LUN's SVM.
        ...(index % 2 === 0
          ? { lun_maps: [{ igroup: { name: 'ig_linux_vs1' }, logical_unit_number: index }] }
          : {}),
      },
      metadata: { kind: 'lun', ticket: 'CHG-1042' },
    }),
  );
  const lunOutcomes: RequestInput[] = ['lun_archive_warn', 'lun_batch_partial', 'lun_big_err'].map(
    (name) => ({
      method: 'POST',
      path: '/api/storage-provider/luns',
      body: {
        name,
        os_type: 'linux',
        space: { size: 500 * gib },
        svm: svm('vs1'),
        performance_service_level: { name: 'Value' },
      },
      metadata: { kind: 'lun', ticket: 'CHG-1042' },
    }),
  );
  const resize: RequestInput = {
    method: 'PATCH',
    path: '/api/storage-provider/luns/{key}',
    object: { name: '/vol/vol_db01/lun_db02', svm: svm('vs1') },
    body: { space: { size: 200 * gib } },
    metadata: { kind: 'lun-resize', ticket: 'CHG-1045' },
  };
  const fileShares: RequestInput[] = ['userhome', 'projects', 'scratch', 'builds'].map((name, index) => ({
    method: 'POST',
    path: '/api/storage-provider/file-shares',
    body: {
      name: `fs_${name}`,
      svm: svm(index % 2 === 0 ? 'vs1' : 'vs2'),
      space: { size: 100 * gib },
      performance_service_level: { name: 'Value' },
      // The export policy is looked up in the share's SVM.
      access_control: { export_policy: { name: 'default' } },
    },
    metadata: { kind: 'file-share', ticket: 'CHG-1043' },
  }));
  const svms: RequestInput[] = ['vs_finance', 'vs_research'].map((name) => ({
    method: 'POST',
    path: '/api/datacenter/svm/svms',
    body: { name, cluster: { name: 'cluster-02' } },
    metadata: { kind: 'svm', ticket: 'CHG-1044' },
  }));
  const igroups: RequestInput[] = ['ig_oracle_vs1', 'ig_esx_vs1'].map((name, index) => ({
    method: 'POST',
    path: '/api/datacenter/protocols/san/igroups',
    body: { name, os_type: index === 0 ? 'linux' : 'vmware', protocol: 'iscsi', svm: svm('vs1') },
    metadata: { kind: 'igroup' },
  }));
  const lookups: RequestInput[] = [
    { method: 'GET', path: '/api/datacenter/svm/svms?name=vs*', metadata: { kind: 'lookup' } },
    { method: 'GET', path: '/api/storage-provider/performance-service-levels', metadata: { kind: 'lookup' } },
  ];
  const volumes: RequestInput[] = ['vol_backup01', 'vol_backup02', 'vol_backup03'].map((name) => ({
    method: 'POST',
    path: `/api/gateways/${gatewayClusterUuid}/storage/volumes`,
    body: { name, svm: { name: 'vs1' }, aggregates: [{ name: 'aggr1_01' }], size: 50 * gib },
    metadata: { kind: 'ontap-volume' },
  }));
  const rejected: RequestInput[] = [
    {
      method: 'POST',
      path: '/api/storage-provider/luns',
      body: {
        name: 'lun_nowhere',
        os_type: 'linux',
        space: { size: gib },
        svm: svm('vs_missing'),
        performance_service_level: { name: 'Value' },
      },
      metadata: { kind: 'lun', note: 'an SVM that does not exist: NAME_NOT_FOUND, nothing reaches AIQUM' },
    },
    {
      method: 'POST',
      path: '/api/storage-provider/file-shares',
      body: {
        name: 'fs_tiny',
        svm: svm('vs1'),
        space: { size: -1 },
        performance_service_level: { name: 'Value' },
      },
      metadata: { kind: 'file-share', note: 'negative size: AIQUM answers 400' },
    },
  ];
  const provisioning = provisioningBatch(gatewayClusterUuid);
  const provisioningOutcomes = Object.values(provisioning.expected);
  const provisioned = (outcome: ProvisioningOutcome) =>
    provisioningOutcomes.filter((expected) => expected === outcome).length;
  const requests = [
    ...luns,
    ...lunOutcomes,
    resize,
    ...fileShares,
    ...svms,
    ...igroups,
    ...lookups,
    ...volumes,
    ...rejected,
    ...provisioning.requests,
  ];
  return {
    requests,
    expected: {
      succeeded:
        luns.length +
        1 +
        fileShares.length +
        svms.length +
        igroups.length +
        lookups.length +
        volumes.length +
        provisioned('succeeded'),
      warning: 1,
      partial_failure: 1,
      failed: 1 + rejected.length + provisioned('failed'),
      skipped: provisioned('skipped'),
    },
    expectedByRef: provisioning.expected,
  };
}
