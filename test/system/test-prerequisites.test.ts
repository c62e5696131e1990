import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../scripts/test-prerequisites.sh', import.meta.url));
const bash = execFileSync('bash', ['-c', 'command -v bash'], { encoding: 'utf8' }).trim();
const dirs: string[] = [];

/** A PATH holding only bash, id and the named stand-ins: what a machine without those tools looks like. */
function pathWith(tools: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'aiqum-prereq-'));
  dirs.push(dir);
  symlinkSync(bash, join(dir, 'bash'));
  symlinkSync(execFileSync('bash', ['-c', 'command -v id'], { encoding: 'utf8' }).trim(), join(dir, 'id'));
  for (const tool of tools) {
    writeFileSync(join(dir, tool), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, tool), 0o755);
  }
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('npm test prerequisites', () => {
  it('passes at once when redis-server, promtool, chromium and luacheck are there', () => {
    const run = spawnSync(bash, [script], {
      env: { PATH: pathWith(['redis-server', 'promtool', 'chromium', 'luacheck']) },
    });
    expect(run.status, run.stderr.toString()).toBe(0);
  });

  it('stops at once with the command to run where it cannot install what is missing', () => {
    const started = Date.now();
    const run = spawnSync(bash, [script], { env: { PATH: pathWith(['redis-server']) }, timeout: 10_000 });
    expect(run.status).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run.stderr.toString()).toContain(
      'sudo apt-get update && sudo apt-get install -y --no-install-recommends prometheus chromium lua-check',
    );
  });
});
