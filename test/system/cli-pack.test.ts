import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, runCommand, TestProcess, type TestRedis, useTestRedis } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

/**
 * The CLI as someone outside this repository gets it: `scripts/pack-cli.sh` packs apps/producer (after the
 * builds `npm test` runs), the tarball is installed into an empty folder from npm's cache, and the installed
 * `aiqum-jobs` serves the API and answers as the repository's does.
 */

const repoFile = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const manifestSchema = z.object({
  version: z.string(),
  bin: z.record(z.string(), z.string()),
  dependencies: z.record(z.string(), z.string()),
  bundleDependencies: z.array(z.string()),
});
const producerManifest = manifestSchema.parse(
  JSON.parse(readFileSync(repoFile('apps/producer/package.json'), 'utf8')),
);

// npm finds its cache through HOME, and the machine's extra certificate authorities (a proxy's) through
// NODE_EXTRA_CA_CERTS; the children see nothing else of the test's environment.
const npmEnv = {
  HOME: process.env.HOME ?? tmpdir(),
  ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}),
};
let workDir: string;
let tarball: string;
let installedCli: string;
let testRedis: TestRedis;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'aiqum-jobs-cli-pack-'));
  const packDir = join(workDir, 'pack');
  const packed = await runCommand({
    command: 'bash',
    args: [repoFile('scripts/pack-cli.sh'), packDir],
    env: npmEnv,
  });
  expect(packed.code, packed.stderr).toBe(0);
  const [name] = readdirSync(packDir);
  if (name === undefined) throw new Error('pack-cli.sh wrote no tarball');
  tarball = join(packDir, name);

  const installDir = join(workDir, 'install');
  mkdirSync(installDir);
  writeFileSync(join(installDir, 'package.json'), JSON.stringify({ name: 'outside', private: true }));
  const installed = await runCommand({
    command: 'npm',
    // --prefix: the folder, not this repository (the child's working directory), gets it.
    args: [
      'install',
      '--prefix',
      installDir,
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      // A stalled registry fetch is retried after 30 s instead of npm's 5 minutes; each fetch is logged, so a
      // timeout below shows where npm waited.
      '--fetch-timeout=30000',
      '--fetch-retries=4',
      '--loglevel=http',
      tarball,
    ],
    env: npmEnv,
    name: 'npm install <tarball>',
    // Generous: another npm on the machine (a concurrent `npm ci`) holds the shared cache's locks meanwhile.
    timeoutMs: 240_000,
  });
  expect(installed.code, installed.stderr).toBe(0);
  // Run from the folder it was installed into, as `npx aiqum-jobs` would.
  installedCli = join(installDir, 'node_modules', '.bin', 'aiqum-jobs');
  testRedis = await useTestRedis();
}, 300_000);
afterAll(async () => {
  await testRedis?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

function aiqumJobs(args: string[], env: Record<string, string> = {}) {
  return runCommand({ command: installedCli, args, env, timeoutMs: 30_000 });
}

describe('the packed aiqum-jobs CLI', () => {
  it('holds its bin, its build and the builds of the workspace packages it needs, and no sources', async () => {
    const listed = await runCommand({ command: 'tar', args: ['tzf', tarball] });
    const files = listed.stdout.split('\n').filter((file) => file !== '');
    expect(files).toEqual(expect.arrayContaining(['package/bin/aiqum-jobs.js', 'package/dist/cli.js']));
    for (const name of producerManifest.bundleDependencies) {
      expect(files).toContain(`package/node_modules/${name}/package.json`);
      expect(files).toContain(`package/node_modules/${name}/dist/index.js`);
    }
    expect(
      files.filter(
        (file) => /\/(src|test)\//.test(file) || (file.endsWith('.ts') && !file.endsWith('.d.ts')),
      ),
    ).toEqual([]);
    // Every workspace package it depends on travels inside: none is left for a registry to resolve.
    const workspaceDependencies = Object.keys(producerManifest.dependencies).filter((name) =>
      name.startsWith('@aiqum-jobs/'),
    );
    expect([...producerManifest.bundleDependencies].sort()).toEqual(workspaceDependencies.sort());
    expect(producerManifest.bin).toEqual({ 'aiqum-jobs': 'bin/aiqum-jobs.js' });
  });

  it('answers --version and --help once installed', async () => {
    const version = await aiqumJobs(['--version']);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(producerManifest.version);
    const help = await aiqumJobs(['--help']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^usage: aiqum-jobs <command>/);
  });

  it('serves the API, lists its batches, and exits 3 once the API is gone', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const server = await TestProcess.start({
      command: installedCli,
      args: ['serve'],
      env: {
        REDIS_URL: testRedis.url,
        AIQUM_JOBS_PREFIX: testRedis.prefix,
        AIQUM_URL: 'https://aiqum.example.com',
        AIQUM_USERNAME: 'svc-automation',
        AIQUM_PASSWORD: 'not-used-by-the-api',
        PRODUCER_PORT: String(port),
      },
      ready: { url: `${url}/readyz` },
    });
    try {
      const batches = await aiqumJobs(['batches', '-o', 'json'], { AIQUM_JOBS_URL: url });
      expect(batches.code, batches.stderr).toBe(0);
      expect(JSON.parse(batches.stdout)).toEqual({ batches: [] });
    } finally {
      await server.stop();
    }
    const gone = await aiqumJobs(['batches'], { AIQUM_JOBS_URL: url });
    expect(gone.code).toBe(3);
    expect(gone.stderr).toContain('API_UNREACHABLE');
  });
});
