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
  // As `docker compose` does with the variables docs/DEPLOYMENT.md sets: ${NAME} and ${NAME:?message}.
  const composeVariables: Record<string, string> = {
    REDIS_PASSWORD: 'redis-secret',
    PRODUCER_API_TOKENS: 'x'.repeat(24),
  };
  const interpolated = read('docker-compose.yml').replace(
    /\$\{(\w+)(?::\?[^}]*)?\}/g,
    (_, name: string) => composeVariables[name] ?? '',
  );
  const compose = composeSchema.parse(parse(interpolated, { merge: true }));

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
    expect(config.redis).toEqual({ kind: 'server', url: 'redis://:redis-secret@redis:6379' });
    expect(config.targets.get('default')?.caFile).toBe('/simulator-state/ca.pem');
    expect(config.health.host).toBe('0.0.0.0');
  });

  it('runs Redis with AOF, without eviction, with a memory limit and a password the processes use', () => {
    const command = compose.services.redis?.command?.join(' ') ?? '';
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--maxmemory-policy noeviction');
    expect(command).toMatch(/--maxmemory \d+(gb|mb)/);
    expect(command).toContain('--requirepass redis-secret');
    // The health check's redis-cli authenticates through the environment, not a visible argument.
    expect(compose.services.redis?.environment?.REDISCLI_AUTH).toBe('redis-secret');
  });

  it('copies every workspace manifest before npm ci, so the install layer matches the lock file', () => {
    const dockerfile = read('Dockerfile');
    const copied = [...dockerfile.matchAll(/^COPY (\S+\/package\.json) /gm)].map((match) => match[1]);
    expect(copied.sort()).toEqual(workspacePackageFiles().sort());
  });

  it('ships only the workspaces the three processes import: every other workspace is removed from the image', () => {
    const dockerfile = read('Dockerfile');
    const manifests = new Map(
      workspacePackageFiles().map((file) => {
        const manifest = z
          .object({ name: z.string(), dependencies: z.record(z.string(), z.string()).optional() })
          .parse(JSON.parse(read(file)));
        return [manifest.name, { dir: file.slice(0, -'/package.json'.length), manifest }];
      }),
    );
    const shipped = new Set<string>();
    const visit = (name: string) => {
      const workspace = manifests.get(name);
      if (!workspace || shipped.has(workspace.dir)) return;
      shipped.add(workspace.dir);
      for (const dependency of Object.keys(workspace.manifest.dependencies ?? {})) visit(dependency);
    };
    for (const name of ['@aiqum-jobs/producer', '@aiqum-jobs/worker', '@aiqum-jobs/aiqum-simulator'])
      visit(name);
    const removal = dockerfile.match(/^RUN rm -rf ((?:[^\n]*\\\n)*[^\n]*)/m)?.[1] ?? '';
    const removed = new Set(
      removal.split(/\s+/).filter((word) => !word.startsWith('node_modules/') && word !== '\\'),
    );
    for (const { dir, manifest } of manifests.values()) {
      if (dir === 'test' || dir === 'bench' || !shipped.has(dir)) {
        expect(removed.has(dir), `${manifest.name} (${dir}) is removed`).toBe(true);
        expect(removal, `${manifest.name}'s link in node_modules is removed`).toContain(
          `node_modules/${manifest.name}`,
        );
      } else {
        expect(removed.has(dir), `${manifest.name} (${dir}) is shipped`).toBe(false);
      }
    }
    expect([...shipped].sort()).toEqual([
      'apps/producer',
      'apps/worker',
      'packages/aiqum-client',
      'packages/aiqum-simulator',
      'packages/contracts',
      'packages/core',
      'packages/subscriber',
      'packages/webhooks',
    ]);
    // The image runs the current LTS; the code keeps Node.js 20 (engines), which the tests run on.
    expect(dockerfile.match(/^FROM node:(\d+)/gm)).toEqual(['FROM node:26', 'FROM node:26']);
  });
});
