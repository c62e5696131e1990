import { type Logger, type RequestSpec, requestEndings } from '@aiqum-jobs/contracts';
import type { Queue } from 'bullmq';
import { submissionJob } from './request-queue.js';
import type { RequestStore } from './request-store.js';

/** Released requests read and handled per round trip. */
const releaseChunk = 500;

export interface DependantReleaseOptions {
  store: RequestStore;
  /** The request queue (`createRequestQueue`). */
  queue: Queue;
  logger: Logger;
  /** Called for each request this process ended `skipped` (a worker counts it in its metrics). */
  onSkipped?: (spec: RequestSpec) => void;
}

/**
 * Moves the requests a completion released (see complete-request.lua) on: a ready one into the queue (job id
 * = request id, so adding it twice adds it once), one whose dependency failed to its `skipped` end, through
 * the one completion script, whose own released dependants are handled in the next round (transitive skips
 * in bounded steps). An entry leaves the released set only after it was handled, so a process that dies in
 * between leaves it to `sweep`, which any worker runs periodically; handling an entry twice is harmless.
 */
export class DependantRelease {
  readonly #store: RequestStore;
  readonly #queue: Queue;
  readonly #logger: Logger;
  readonly #onSkipped: (spec: RequestSpec) => void;

  constructor(options: DependantReleaseOptions) {
    this.#store = options.store;
    this.#queue = options.queue;
    this.#logger = options.logger;
    this.#onSkipped = options.onSkipped ?? (() => {});
  }

  /** Handles `requestIds` and every request their skips release in turn, until none is left. */
  async release(requestIds: readonly string[]): Promise<void> {
    let round = [...requestIds];
    while (round.length > 0) {
      const next: string[] = [];
      for (let start = 0; start < round.length; start += releaseChunk) {
        next.push(...(await this.#handle(round.slice(start, start + releaseChunk))));
      }
      round = next;
    }
  }

  /**
   * Handles what is left in the released set (a process died between a completion and its release), up to
   * `maxChunks` chunks per call; answers how many entries it handled.
   */
  async sweep(maxChunks = 20): Promise<number> {
    let handled = 0;
    for (let chunk = 0; chunk < maxChunks; chunk += 1) {
      const ids = await this.#store.records.listReleased(releaseChunk);
      if (ids.length === 0) break;
      await this.release(ids);
      handled += ids.length;
    }
    if (handled > 0) this.#logger.info({ handled }, 'released dependants swept');
    return handled;
  }

  /** One chunk: queues the ready, skips the doomed; answers the requests the skips released. */
  async #handle(requestIds: readonly string[]): Promise<string[]> {
    const [states, specs] = await Promise.all([
      this.#store.records.releasedStates(requestIds),
      this.#store.records.getSpecs(requestIds),
    ]);
    const ready: RequestSpec[] = [];
    const skips: Array<Promise<string[]>> = [];
    requestIds.forEach((requestId, index) => {
      const state = states[index];
      const spec = specs[index];
      if (state === undefined || spec === undefined) return;
      if (state.status === 'queued') ready.push(spec);
      else if (state.status === 'waiting' && state.skipBecause !== undefined) {
        const { requestId: dependencyId, outcome } = state.skipBecause;
        const ref = spec.dependsOn?.find((dependency) => dependency.requestId === dependencyId)?.ref ?? '';
        const ending = requestEndings.dependencyFailed({ ref, requestId: dependencyId, outcome });
        skips.push(
          this.#store.completion.completeReleasing(spec, {}, ending).then((reply) => {
            if (reply.result === 'completed') {
              this.#onSkipped(spec);
              this.#logger.info(
                { requestId, batchId: spec.batchId, dependencyId, outcome },
                'request skipped',
              );
            }
            return reply.released;
          }),
        );
      }
    });
    if (ready.length > 0) {
      await this.#queue.addBulk(ready.map(submissionJob));
    }
    const released = (await Promise.all(skips)).flat();
    await this.#store.records.removeReleased(requestIds);
    return released;
  }
}
