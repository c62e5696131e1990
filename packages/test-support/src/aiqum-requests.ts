import { seedInventoryKeys } from '@aiqum-jobs/aiqum-simulator';

/** A write as aiqum-jobs takes it (structurally a core `RequestInput`; this package does not depend on core). */
export type AiqumWrite = {
  method: 'POST';
  path: string;
  body: { [field: string]: string | number | { key: string } | { size: number } };
};

export interface AiqumRequestOptions {
  /** SVM by name; one the simulator's inventory lacks makes AIQUM reject the write (an unknown key). */
  svm?: string;
  /** Seed of the simulator the request goes to: its inventory, so its keys, depend on it. @defaultValue 1 */
  seed?: number;
}

/**
 * An AIQUM LUN create as Unified Manager takes it, with keys: 1 GiB, linux, service level Value. Scenarios
 * pick a job's outcome by `name`.
 */
export function lunRequest(name: string, options: AiqumRequestOptions = {}): AiqumWrite {
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
