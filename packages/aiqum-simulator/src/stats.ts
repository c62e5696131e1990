import type { JobCounts } from './job-store.js';

/** What `GET /_sim/stats` and `Simulator.stats()` return. */
export interface SimulatorStats {
  /** `"<METHOD> <route template>"` → status → count. */
  requests: Record<string, Record<string, number>>;
  /** `X-Correlation-Id` → writes with that id that reached processing (not faulted before it). */
  submissions: Record<string, number>;
  /** Job key or ONTAP job uuid → polls received. */
  polls: Record<string, number>;
  peakConcurrentRequests: number;
  jobs: { byState: JobCounts; total: number };
  /**
   * Fault name → count: `429`, `503`... (before processing), `502-after-processing`... (a status answered
   * to a processed write), `latency`, `reset`, `malformedJson`, `truncatedJson`, `missingJobReference`.
   */
  faults: Record<string, number>;
}

/**
 * A fault injected into a write: a status before processing, or, after processing, a status answered
 * instead of the real answer (`afterProcessing`) or a spoiled answer.
 */
export interface WriteFault {
  /** `500`, `502`, `503`, `504`, `429`... or `reset`, `malformedJson`, `truncatedJson`, `missingJobReference`. */
  fault: string;
  /** Whether the write was processed (its job, if any, created) before the fault struck. */
  processed: boolean;
  /** The status the write was processed with (what it would have answered), when it was. */
  status: number | null;
  at: string;
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Request counters for tests and benchmarks. Maps, not objects, so client-chosen keys are safe. */
export class Stats {
  #requests = new Map<string, Map<string, number>>();
  #submissions = new Map<string, number>();
  #polls = new Map<string, number>();
  #faults = new Map<string, number>();
  #writeFaults = new Map<string, WriteFault[]>();
  #concurrent = 0;
  #peak = 0;

  enter(): void {
    this.#concurrent++;
    if (this.#concurrent > this.#peak) this.#peak = this.#concurrent;
  }

  leave(): void {
    this.#concurrent--;
  }

  request(route: string, status: number | string): void {
    let byStatus = this.#requests.get(route);
    if (!byStatus) {
      byStatus = new Map();
      this.#requests.set(route, byStatus);
    }
    bump(byStatus, String(status));
  }

  submission(correlationId: string): void {
    bump(this.#submissions, correlationId);
  }

  /** Kept per `X-Correlation-Id`, so a test can tell which writes' answers were truly unknowable. */
  writeFault(correlationId: string, fault: WriteFault): void {
    const list = this.#writeFaults.get(correlationId);
    if (list) list.push(fault);
    else this.#writeFaults.set(correlationId, [fault]);
  }

  writeFaultsOf(correlationId: string): WriteFault[] {
    return this.#writeFaults.get(correlationId) ?? [];
  }

  poll(id: string): void {
    bump(this.#polls, id);
  }

  fault(name: string): void {
    bump(this.#faults, name);
  }

  reset(): void {
    this.#requests = new Map();
    this.#submissions = new Map();
    this.#polls = new Map();
    this.#faults = new Map();
    this.#writeFaults = new Map();
    this.#peak = this.#concurrent;
  }

  snapshot(jobs: SimulatorStats['jobs']): SimulatorStats {
    return {
      requests: Object.fromEntries(
        [...this.#requests].map(([route, byStatus]) => [route, Object.fromEntries(byStatus)]),
      ),
      submissions: Object.fromEntries(this.#submissions),
      polls: Object.fromEntries(this.#polls),
      peakConcurrentRequests: this.#peak,
      jobs,
      faults: Object.fromEntries(this.#faults),
    };
  }
}
