import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const profileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
      hitCount: z.number().default(0),
    }),
  ),
  startTime: z.number(),
  endTime: z.number(),
  samples: z.array(z.number()).default([]),
});

export interface ProfileSummary {
  /** Sampled milliseconds of the whole profile. */
  totalMs: number;
  /** Self time by function (`name file:line`), busiest first. */
  functions: Array<{ name: string; selfMs: number; share: number }>;
  /** Self time by where the code lives: a package in node_modules, a workspace package, or Node itself. */
  modules: Array<{ name: string; selfMs: number; share: number }>;
}

/** Where a script URL's code comes from, e.g. `bullmq`, `ioredis`, `@aiqum-jobs/core`, `node:internal`. */
function moduleOf(url: string): string {
  if (url === '') return '(native / GC / idle)';
  if (url.startsWith('node:')) return 'node:internal';
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules?.[1]) return inModules[1];
  const workspace = /\/(apps|packages)\/([^/]+)\//.exec(url);
  if (workspace?.[2]) return `@aiqum-jobs/${workspace[2]}`;
  return url;
}

function ranked(map: Map<string, number>, totalMs: number, limit: number) {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, selfMs]) => ({
      name,
      selfMs: Math.round(selfMs),
      share: Math.round((selfMs / totalMs) * 1000) / 10,
    }));
}

/** Self time by function and by module, summed over every `.cpuprofile` in `dir` (one per process). */
export function summarizeCpuProfiles(dir: string, limit = 15): ProfileSummary {
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  let totalMs = 0;
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'))) {
    const profile = profileSchema.parse(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    const samples = profile.samples.length || 1;
    const msPerSample = (profile.endTime - profile.startTime) / 1000 / samples;
    totalMs += (profile.endTime - profile.startTime) / 1000;
    for (const node of profile.nodes) {
      if (node.hitCount === 0) continue;
      const { functionName, url, lineNumber } = node.callFrame;
      const ms = node.hitCount * msPerSample;
      const file = url.slice(url.lastIndexOf('/') + 1);
      const name = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
      const module = functionName === '(idle)' ? '(idle)' : moduleOf(url);
      byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
      byModule.set(module, (byModule.get(module) ?? 0) + ms);
    }
  }
  return {
    totalMs: Math.round(totalMs),
    functions: ranked(byFunction, totalMs, limit),
    modules: ranked(byModule, totalMs, limit),
  };
}
