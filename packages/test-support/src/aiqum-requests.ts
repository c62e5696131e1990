import { seedInventoryKeys } from '@aiqum-jobs/aiqum-simulator';

/** A JSON value, as request bodies hold them. */
export type Json = string | number | boolean | null | Json[] | { [field: string]: Json };

/**
 * A write as aiqum-jobs takes it (structurally a core `RequestInput`; this package does not depend on core).
 * Callers add what the write does not fix: `{ target: 'lab', ...lunRequest('lun1') }`.
 */
export type AiqumWrite = {
  method: 'POST';
  path: string;
  body: { [field: string]: Json };
};

export interface AiqumRequestOptions {
  /** SVM by name; one the simulator's inventory lacks makes AIQUM reject the write (an unknown key). */
  svm?: string;
  /** Seed of the simulator the request goes to: its inventory, so its keys, depend on it. @defaultValue 1 */
  seed?: number;
}

export interface LunRequestOptions extends AiqumRequestOptions {
  /**
   * Body fields that replace or add to the default ones: references by name or looked up by the test,
   * `lun_maps`, another size.
   */
  body?: { [field: string]: Json };
}

/**
 * An AIQUM LUN create as Unified Manager takes it, with keys: 1 GiB, linux, service level Value. Scenarios
 * pick a job's outcome by `name`.
 */
export function lunRequest(name: string, options: LunRequestOptions = {}): AiqumWrite {
  const keys = seedInventoryKeys(options.seed ?? 1);
  return {
    method: 'POST',
    path: '/api/storage-provider/luns',
    body: {
      name,
      os_type: 'linux',
      space: { size: 1073741824 },
      svm: { key: svmKey(options) },
      performance_service_level: { key: keys.performanceServiceLevels.Value ?? missingKey('psl', 'Value') },
      ...options.body,
    },
  };
}

/** An initiator group create (synchronous in AIQUM: 201 with the record). */
export function igroupRequest(name: string, options: AiqumRequestOptions = {}): AiqumWrite {
  return {
    method: 'POST',
    path: '/api/datacenter/protocols/san/igroups',
    body: { name, os_type: 'linux', protocol: 'iscsi', svm: { key: svmKey(options) } },
  };
}

function svmKey(options: AiqumRequestOptions): string {
  const svm = options.svm ?? 'vs1';
  return seedInventoryKeys(options.seed ?? 1).svms[svm] ?? missingKey('vserver', svm);
}

/** A well-formed key that names no object, as a stale or mistyped key would. */
export function missingKey(type: string, name: string): string {
  return `00000000-0000-0000-0000-000000000000:type=${type},uuid=${name}`;
}
