import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times: 100 on every Linux this runs on (USER_HZ). */
const ticksPerSecond = 100;

/** Resident memory of a process in bytes, from `/proc/<pid>/status` (VmRSS). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match?.[1]) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/** CPU seconds (user + system) a process has used so far, from `/proc/<pid>/stat`. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces and parentheses: the fields after the last ')' are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Samples a process's RSS until stopped; keeps the peak and the last value. */
export class RssSampler {
  readonly #pid: number;
  readonly #timer: NodeJS.Timeout;
  peakBytes = 0;
  lastBytes = 0;

  constructor(pid: number, intervalMs = 500) {
    this.#pid = pid;
    this.sample();
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
  }

  sample(): number {
    try {
      this.lastBytes = rssBytes(this.#pid);
      this.peakBytes = Math.max(this.peakBytes, this.lastBytes);
    } catch {
      // The process exited: its last sample stands.
    }
    return this.lastBytes;
  }

  stop(): { peakBytes: number; lastBytes: number } {
    clearInterval(this.#timer);
    return { peakBytes: this.peakBytes, lastBytes: this.lastBytes };
  }
}
