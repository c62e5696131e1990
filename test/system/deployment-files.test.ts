import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadWorkerConfig } from '@aiqum-jobs/worker';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';

// docker-compose.yml and the Dockerfile cannot be run on machines without a Docker engine; these checks
// keep them consistent with the repository they build.
const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

const composeSchema = z.object({
  services: z.record(
    z.string(),
    z.object({
      build: z.string().optional(),
      image: z.string().optional(),
      command: z.array(z.string()).optional(),
      environment: z.record(z.string(), z.string()).optional(),
      depends_on: z.record(z.string(), z.object({ condition: z.string() })).optional(),
    }),
  ),
});

function workspacePackageFiles(): string[] {
  const manifest = z.object({ workspaces: z.array(z.string()) }).parse(JSON.parse(read('package.json')));
  return manifest.workspaces.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [`${pattern}/package.json`];
    const folder = pattern.slice(0, -2);
    return readdirSync(join(root, folder), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(root, folder, entry.name, 'package.json')))
      .map((entry) => `${folder}/${entry.name}/package.json`);
  });
}

describe('deployment files', () => {
  const compose = composeSchema.parse(parse(read('docker-compose.yml'), { merge: true }));

  it('runs every service from a file the image contains, after the services it depends on exist', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const dependency of Object.keys(service.depends_on ?? {})) {
        expect(compose.services, `${name} depends on ${dependency}`).toHaveProperty(dependency);
      }
      if (!service.build) continue;
      // node [flags] script [args]
      const script = service.command?.slice(1).find((part) => !part.startsWith('--'));
      expect(service.command?.[0], name).toBe('node');
      expect(script && existsSync(join(root, script)), `${name} runs ${script}`).toBe(true);
    }
  });

  it('configures the worker with settings it accepts', () => {
    const environment = compose.services.worker?.environment ?? {};
    const config = loadWorkerConfig(environment);
    expect(config.redis).toEqual({ kind: 'server', url: 'redis://redis:6379' });
    expect(config.targets.get('default')?.caFile).toBe('/simulator-state/ca.pem');
    expect(config.health.host).toBe('0.0.0.0');
  });

  it('runs Redis with AOF and without eviction', () => {
    const command = compose.services.redis?.command?.join(' ') ?? '';
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--maxmemory-policy noeviction');
  });

  it('copies every workspace manifest before npm ci, so the install layer matches the lock file', () => {
    const dockerfile = read('Dockerfile');
    const copied = [...dockerfile.matchAll(/^COPY (\S+\/package\.json) /gm)].map((match) => match[1]);
    expect(copied.sort()).toEqual(workspacePackageFiles().sort());
  });
});
