import { setTimeout as sleep } from 'node:timers/promises';
import type { AiqumClient } from '@aiqum-jobs/aiqum-client';
import { benchLun } from '../lun-requests.js';

/** Counts of one peer run, kept as its jobs go. */
export class PeerTally {
  submitted = 0;
  completed = 0;
  getsOfCompleted = 0;
  tracked = 0;
  peakTracked = 0;
}

/**
 * The way scripts and public clients track an AIQUM call today: submit it, then GET its job every
 * `intervalMs` until it is terminal, holding whatever slot it runs in all along. Stops quietly when
 * `signal` aborts.
 */
export async function submitAndPoll(
  client: AiqumClient,
  name: string,
  index: number,
  intervalMs: number,
  tally: PeerTally,
  signal: AbortSignal,
): Promise<void> {
  const submitted = await client.submit({ ...benchLun(name, index), signal });
  if (submitted.kind !== 'job') throw new Error(`submission ${index} answered without a job`);
  tally.submitted += 1;
  tally.tracked += 1;
  tally.peakTracked = Math.max(tally.peakTracked, tally.tracked);
  let gets = 0;
  try {
    for (;;) {
      await sleep(intervalMs, undefined, { signal });
      const snapshot = await client.getJob(submitted.job, { signal });
      gets += 1;
      if (snapshot.phase !== 'running') break;
    }
    tally.completed += 1;
    tally.getsOfCompleted += gets;
  } finally {
    tally.tracked -= 1;
  }
}
