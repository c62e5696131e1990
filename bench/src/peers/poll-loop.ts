import type { AiqumClient } from '@aiqum-jobs/aiqum-client';
import type { PeerConfig, PeerResult } from './peer-config.js';
import { PeerTally, submitAndPoll } from './submit-and-poll.js';

/**
 * Peer (a): an in-process loop, as NetApp's modules and public clients do it: every job is submitted and
 * polled every second by one of `concurrency` async lanes (a p-limit written out), nothing durable.
 */
export async function runPollLoop(config: PeerConfig, client: AiqumClient): Promise<PeerResult> {
  const tally = new PeerTally();
  const signal = AbortSignal.timeout(config.capMs);
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < config.jobs && !signal.aborted) {
      const index = next;
      next += 1;
      await submitAndPoll(client, `poll_loop_${index}`, index, config.pollIntervalMs, tally, signal).catch(
        (error: unknown) => {
          if (!signal.aborted) throw error;
        },
      );
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, lane));
  return { kind: 'poll-loop', elapsedMs: performance.now() - started, ...counts(tally) };
}

export function counts(tally: PeerTally) {
  return {
    submitted: tally.submitted,
    completed: tally.completed,
    getsOfCompleted: tally.getsOfCompleted,
    peakTracked: tally.peakTracked,
  };
}
