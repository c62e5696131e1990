import type { ScenarioInput } from '@aiqum-jobs/aiqum-simulator';
import type { BatchRequestInput } from '@aiqum-jobs/contracts';

const gib = 1024 ** 3;

/** A request of the provisioning batch: every one has a ref, so that its outcome can be checked by ref. */
export type ProvisioningRequest = BatchRequestInput & { ref: string };

/** The SVM whose creation the scenario fails: everything provisioned on it must be skipped. */
export const failingSvmName = 'vs_demo_fail';

/** The cluster the new SVMs are made on (the gateway path of their export policies needs its uuid). */
export const provisioningCluster = 'cluster-01';

/** Scenario rules that fail the creation of {@link failingSvmName}; put them before the demo's catch-all rules. */
export const provisioningScenarioRules: NonNullable<ScenarioInput['rules']> = [
  {
    match: { method: 'POST', path: '/api/datacenter/svm/svms', body: { name: failingSvmName } },
    job: {
      durationMs: { min: 500, max: 1_500 },
      outcomes: { ERROR: 1 },
      message: `Cannot create the root volume of SVM "${failingSvmName}": no aggregate of ${provisioningCluster} has enough space`,
    },
  },
];

export type ProvisioningOutcome = 'succeeded' | 'failed' | 'skipped';

export interface ProvisioningBatch {
  requests: ProvisioningRequest[];
  /** The outcome each request must end with, by ref. */
  expected: Record<string, ProvisioningOutcome>;
}

/**
 * One SVM and what goes on it, each step depending on the one that makes what it names: the SVM; its NFS
 * export policy, made through the ONTAP gateway (Unified Manager's API only reads export policies); two
 * file shares exported with that policy by name; an initiator group in the SVM by name; two LUNs mapped to
 * that igroup by name. Each name is looked up when its request starts, after what makes it. `tag` keeps the
 * names apart.
 */
function svmWithContents(svmName: string, tag: string, gatewayClusterUuid: string): ProvisioningRequest[] {
  const ref = (what: string) => `${what}_${tag}`;
  const svm = { name: svmName, cluster: { name: provisioningCluster } };
  const ticket = { ticket: 'CHG-1050', svm: svmName };
  const exportPolicy = `ep_demo_${tag}`;
  const igroup = `ig_demo_${tag}`;
  const fileShares: ProvisioningRequest[] = ['home', 'data'].map((share) => ({
    ref: ref(`fs_${share}`),
    dependsOn: [ref('ep')],
    method: 'POST',
    path: '/api/storage-provider/file-shares',
    body: {
      name: `fs_demo_${tag}_${share}`,
      svm,
      space: { size: 50 * gib },
      performance_service_level: { name: 'Value' },
      // Looked up in the share's SVM, when the share starts: the policy exists by then.
      access_control: { export_policy: { name: exportPolicy } },
    },
    metadata: { kind: 'file-share', ...ticket },
  }));
  const luns: ProvisioningRequest[] = ['db', 'log'].map((lun, index) => ({
    ref: ref(`lun_${lun}`),
    dependsOn: [ref('ig')],
    method: 'POST',
    path: '/api/storage-provider/luns',
    body: {
      name: `lun_demo_${tag}_${lun}`,
      os_type: 'linux',
      space: { size: 20 * gib },
      svm,
      performance_service_level: { name: 'Performance' },
      lun_maps: [{ igroup: { name: igroup }, logical_unit_number: index }],
    },
    metadata: { kind: 'lun', ...ticket },
  }));
  return [
    {
      ref: ref('svm'),
      method: 'POST',
      path: '/api/datacenter/svm/svms',
      body: { name: svmName, cluster: { name: provisioningCluster } },
      metadata: { kind: 'svm', ...ticket },
    },
    {
      ref: ref('ep'),
      dependsOn: [ref('svm')],
      // An SVM made with a warning (say, its DNS not set) can still export shares.
      proceedOnWarning: true,
      method: 'POST',
      path: `/api/gateways/${gatewayClusterUuid}/protocols/nfs/export-policies`,
      // ONTAP takes the SVM by name.
      body: {
        name: exportPolicy,
        svm: { name: svmName },
        rules: [
          {
            clients: [{ match: '10.40.0.0/16' }],
            protocols: ['nfs3', 'nfs4'],
            ro_rule: ['sys'],
            rw_rule: ['sys'],
          },
        ],
      },
      metadata: { kind: 'export-policy', ...ticket },
    },
    ...fileShares,
    {
      ref: ref('ig'),
      dependsOn: [ref('svm')],
      method: 'POST',
      path: '/api/datacenter/protocols/san/igroups',
      body: {
        name: igroup,
        os_type: 'linux',
        protocol: 'iscsi',
        svm,
      },
      metadata: { kind: 'igroup', ...ticket },
    },
    ...luns,
  ];
}

/**
 * Provisioning with dependencies, all by name: SVM `vs_demo_ok` with its export policy, file shares,
 * igroup and mapped LUNs, which all succeed; and the same on {@link failingSvmName}, whose creation
 * {@link provisioningScenarioRules} fail, so that exactly what depends on it is skipped.
 */
export function provisioningBatch(gatewayClusterUuid: string): ProvisioningBatch {
  const succeeding = svmWithContents('vs_demo_ok', 'ok', gatewayClusterUuid);
  const failing = svmWithContents(failingSvmName, 'fail', gatewayClusterUuid);
  const expected: Record<string, ProvisioningOutcome> = {};
  for (const request of succeeding) expected[request.ref] = 'succeeded';
  for (const request of failing) expected[request.ref] = request.dependsOn ? 'skipped' : 'failed';
  return { requests: [...succeeding, ...failing], expected };
}
