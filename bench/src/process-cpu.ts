import { cpuSeconds } from './process-stats.js';

/** The processes of a run by role (`worker`, `simulator`, `redis`, `bench`), for their CPU time. */
export type ProcessRoles = Record<string, readonly number[]>;

/** CPU seconds used so far by each role's processes together. */
export function cpuByRole(roles: ProcessRoles): Map<string, number> {
  const totals = new Map<string, number>();
  for (const [role, pids] of Object.entries(roles)) {
    let seconds = 0;
    for (const pid of pids) {
      try {
        seconds += cpuSeconds(pid);
      } catch {
        // The process is gone (or not on this machine): nothing to add.
      }
    }
    totals.set(role, seconds);
  }
  return totals;
}

/** CPU seconds each role spent between two readings. */
export function cpuSpent(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
): Record<string, number> {
  return Object.fromEntries(
    [...after].map(([role, seconds]) => [role, Math.round((seconds - (before.get(role) ?? 0)) * 100) / 100]),
  );
}
