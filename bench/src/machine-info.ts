import { cpus, totalmem } from 'node:os';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryBytes: number;
  node: string;
  redis: string;
  /** Whether the bench ran its own redis-server (only its commands reached it). */
  redisOwned: boolean;
}

export function machineInfo(redis: { version: string; owned: boolean }): MachineInfo {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryBytes: totalmem(),
    node: process.version,
    redis: redis.version,
    redisOwned: redis.owned,
  };
}
