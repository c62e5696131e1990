import type { RequestInput } from '@aiqum-jobs/core';

/** `count` LUN creations with unique names (the headline AIQUM call), all on target `lab`. */
export function lunRequests(count: number, namePrefix: string): RequestInput[] {
  return Array.from({ length: count }, (_, index) => ({
    method: 'POST',
    path: '/api/storage-provider/luns',
    body: lunBody(`${namePrefix}_${index}`, index),
  }));
}

/** The body of one LUN creation; SVMs alternate so the simulator's inventory stays realistic. */
export function lunBody(name: string, index: number): NonNullable<RequestInput['body']> {
  return {
    name,
    os_type: 'linux',
    space: { size: 1_073_741_824 },
    svm: { name: index % 2 === 0 ? 'vs1' : 'vs2' },
    performance_service_level: { name: 'Value' },
  };
}
