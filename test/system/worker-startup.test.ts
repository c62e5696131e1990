import { createServer, type Server } from 'node:net';
import { runCommand, TestProcess } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bins, PipelineUnderTest } from '../src/index.js';

let pipeline: PipelineUnderTest;
let taken: Server;
let takenPort: number;

beforeAll(async () => {
  pipeline = await PipelineUnderTest.start({ workers: 0 });
  // Another process's health port, as a second worker on the same host meets it.
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const address = taken.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  takenPort = address.port;
}, 60_000);
afterAll(async () => {
  await new Promise((resolve) => taken.close(resolve));
  await pipeline.close();
});

describe('worker start-up', () => {
  it('prints its help with --help instead of starting, whatever the environment lacks', async () => {
    const result = await runCommand({ args: [bins.worker, '--help'], env: {}, timeoutMs: 30_000 });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^usage: aiqum-worker\n/);
    for (const variable of ['REDIS_URL', 'AIQUM_TARGETS_FILE', 'WORKER_CONCURRENCY', 'WORKER_HEALTH_PORT']) {
      expect(result.stdout).toContain(variable);
    }
    expect(result.stdout).toContain('docs/CONFIGURATION.md');
    expect(result.stderr).toBe('');
  });

  it('stops with one line naming WORKER_HEALTH_PORT (exit 2, no stack) when its health port is taken', async () => {
    const result = await runCommand({
      args: [bins.worker],
      env: { ...pipeline.env, WORKER_HEALTH_PORT: String(takenPort) },
      timeoutMs: 30_000,
    });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^aiqum-worker: cannot start: WORKER_HEALTH_PORT: 127\.0\.0\.1:\d+ is taken/),
    ]);
    expect(result.stderr).toContain('0 for one the system picks');
  });

  it('takes WORKER_HEALTH_PORT=0 as a port the system picks, and logs it', async () => {
    const worker = await TestProcess.start({
      args: [bins.worker],
      env: { ...pipeline.env, WORKER_HEALTH_PORT: '0', LOG_LEVEL: 'info' },
      ready: { line: /"msg":"worker started"/ },
    });
    try {
      const started = worker.output.split('\n').find((line) => line.includes('"msg":"worker started"'));
      const health = (JSON.parse(started ?? '{}') as { health?: string }).health ?? '';
      expect(health).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(health).not.toMatch(/:0$/);
      expect((await fetch(`${health}/readyz`)).status).toBe(200);
    } finally {
      expect(await worker.stop()).toBe(0);
    }
  });
});
