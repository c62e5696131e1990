import { type Ref, refOf } from './collection.js';
import type { Inventory, PerformanceServiceLevelRecord, StorageEfficiencyPolicyRecord } from './inventory.js';
import { type RefInput, resolveRef } from './references.js';

function missingDefault(): never {
  throw new Error('the inventory has no "Default" storage efficiency policy');
}

/** The performance service level and storage efficiency policy a create names; the policy defaults to "Default". */
export function resolveServiceLevels(
  inv: Inventory,
  body: { performance_service_level: RefInput; storage_efficiency_policy?: RefInput | undefined },
): { psl: PerformanceServiceLevelRecord; sep: StorageEfficiencyPolicyRecord } {
  return {
    psl: resolveRef(
      inv.performanceServiceLevels,
      body.performance_service_level,
      'performance_service_level',
    ),
    sep: body.storage_efficiency_policy
      ? resolveRef(inv.storageEfficiencyPolicies, body.storage_efficiency_policy, 'storage_efficiency_policy')
      : (inv.storageEfficiencyPolicies.findByName('Default') ?? missingDefault()),
  };
}

/** A record that has a service level and policy assigned: a LUN or a file share. */
interface ServiceLevelled {
  assigned_performance_service_level: Ref;
  assigned_storage_efficiency_policy: Ref;
}

/**
 * Resolves the service level and policy a PATCH names while its request is answered, so that a bad
 * reference is a 400 and no job; returns what assigns them (those named only) when the job ends.
 */
export function serviceLevelChanges(
  inv: Inventory,
  body: {
    performance_service_level?: RefInput | undefined;
    storage_efficiency_policy?: RefInput | undefined;
  },
): (record: ServiceLevelled) => void {
  const psl =
    body.performance_service_level &&
    resolveRef(inv.performanceServiceLevels, body.performance_service_level, 'performance_service_level');
  const sep =
    body.storage_efficiency_policy &&
    resolveRef(inv.storageEfficiencyPolicies, body.storage_efficiency_policy, 'storage_efficiency_policy');
  return (record) => {
    if (psl) record.assigned_performance_service_level = refOf(psl);
    if (sep) record.assigned_storage_efficiency_policy = refOf(sep);
  };
}
