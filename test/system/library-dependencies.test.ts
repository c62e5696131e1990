import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

// The subscriber library runs inside applications that are not ours: it, and the contracts package it
// shares with the processes, must install without the queue, metrics, YAML and HTTP stacks of the processes.
const root = fileURLToPath(new URL('../..', import.meta.url));
const forbidden = ['bullmq', 'prom-client', 'yaml', 'undici', '@aiqum-jobs/core'];

const dependencyMap = z.record(z.string(), z.string()).optional();
const lockSchema = z.object({
  packages: z.record(
    z.string(),
    z.object({
      link: z.boolean().optional(),
      resolved: z.string().optional(),
      dependencies: dependencyMap,
      optionalDependencies: dependencyMap,
      peerDependencies: dependencyMap,
      peerDependenciesMeta: z.record(z.string(), z.object({ optional: z.boolean().optional() })).optional(),
    }),
  ),
});
const lockedPackages = lockSchema.parse(
  JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')),
).packages;

/** Where npm installed `name` for the package at `location`: its own node_modules, then each parent's. */
function resolve(location: string, name: string): string | undefined {
  let base = location;
  for (;;) {
    const candidate = `${base === '' ? '' : `${base}/`}node_modules/${name}`;
    const entry = lockedPackages[candidate];
    if (entry) return entry.link && entry.resolved ? entry.resolved : candidate;
    if (base === '') return undefined;
    const parent = base.lastIndexOf('/node_modules/');
    base = parent === -1 ? '' : base.slice(0, parent);
  }
}

/** Every package a production install of the workspace at `location` brings, with the chain that brings it. */
function runtimeClosure(location: string): Map<string, string[]> {
  const reached = new Map<string, string[]>();
  const pending: Array<{ location: string; chain: string[] }> = [{ location, chain: [location] }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const entry = lockedPackages[next.location];
    if (!entry) throw new Error(`${next.location} is not in package-lock.json`);
    const peers = entry.peerDependenciesMeta ?? {};
    const names = [
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...Object.keys(entry.peerDependencies ?? {}),
    ];
    for (const name of names) {
      const found = resolve(next.location, name);
      if (found === undefined) {
        if (peers[name]?.optional || entry.optionalDependencies?.[name]) continue;
        throw new Error(`${name}, a dependency of ${next.location}, is not in package-lock.json`);
      }
      if (reached.has(found)) continue;
      const chain = [...next.chain, name];
      reached.set(found, chain);
      pending.push({ location: found, chain });
    }
  }
  return reached;
}

function forbiddenReached(location: string): string[] {
  return [...runtimeClosure(location).values()]
    .filter((chain) => forbidden.includes(chain.at(-1) ?? ''))
    .map((chain) => chain.join(' -> '));
}

describe('library dependencies', () => {
  it('the subscriber installs contracts, ioredis, zod and pino, and none of bullmq, prom-client, yaml, undici or core', () => {
    const reached = runtimeClosure('packages/subscriber');
    expect([...reached.keys()]).toEqual(
      expect.arrayContaining([
        'packages/contracts',
        'node_modules/ioredis',
        'node_modules/zod',
        'node_modules/pino',
      ]),
    );
    expect(forbiddenReached('packages/subscriber')).toEqual([]);
  });

  it('contracts installs none of bullmq, prom-client, yaml, undici or core', () => {
    expect(forbiddenReached('packages/contracts')).toEqual([]);
  });
});
