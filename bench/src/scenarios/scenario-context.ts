import type { BenchRedis } from '../bench-redis.js';

/** What every scenario gets from the command line. */
export interface ScenarioContext {
  redis: BenchRedis;
  quick: boolean;
  /** Worker processes of the pipeline (scenarios that measure one worker use one). */
  workers: number;
  /** When set, worker processes run with `--cpu-prof` writing here, and the scenario reports the profile. */
  cpuProfileDir: string | undefined;
}

/** `node` flags that make a worker write a CPU profile into `dir` when it exits. */
export function profilingArgs(dir: string | undefined): string[] {
  return dir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', dir];
}
