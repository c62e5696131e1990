import type { RequestInput } from '@aiqum-jobs/contracts';
import { type AiqumWrite, lunRequest } from '@aiqum-jobs/test-support';

/** `count` LUN creations with unique names (the headline AIQUM call), all on target `lab`. */
export function lunRequests(count: number, namePrefix: string): RequestInput[] {
  return Array.from({ length: count }, (_, index) => benchLun(`${namePrefix}_${index}`, index));
}

/**
 * One LUN creation, with the keys of the bench simulator's inventory (seed 1); SVMs alternate so the
 * simulator's inventory stays realistic.
 */
export function benchLun(name: string, index: number): AiqumWrite {
  return lunRequest(name, { svm: index % 2 === 0 ? 'vs1' : 'vs2' });
}
