import type { RequestInput } from '@aiqum-jobs/core';

/**
 * An AIQUM LUN create: 1 GiB, linux, service level Value. Scenarios pick a job's outcome by `name`; an
 * `svm` the simulator's inventory lacks makes AIQUM reject the write.
 */
export function lunRequest(name: string, svm = 'vs1'): RequestInput {
  return {
    method: 'POST',
    path: '/api/storage-provider/luns',
    body: {
      name,
      os_type: 'linux',
      space: { size: 1073741824 },
      svm: { name: svm },
      performance_service_level: { name: 'Value' },
    },
  };
}
