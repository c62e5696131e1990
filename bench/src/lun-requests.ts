import type { RequestInput } from '@aiqum-jobs/core';
import { lunRequest } from '@aiqum-jobs/test-support';

/** `count` LUN creations with unique names (the headline AIQUM call), all on target `lab`. */
export function lunRequests(count: number, namePrefix: string): RequestInput[] {
  return Array.from({ length: count }, (_, index) => ({
    method: 'POST',
    path: '/api/storage-provider/luns',
    body: lunBody(`${namePrefix}_${index}`, index),
  }));
}

/**
 * The body of one LUN creation, with the keys of the bench simulator's inventory (seed 1); SVMs alternate so
 * the simulator's inventory stays realistic.
 */
export function lunBody(name: string, index: number): NonNullable<RequestInput['body']> {
  return lunRequest(name, { svm: index % 2 === 0 ? 'vs1' : 'vs2' }).body;
}
