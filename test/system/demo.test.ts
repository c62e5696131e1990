import { fileURLToPath } from 'node:url';
import { runCommand, type TestRedis, useTestRedis } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm run demo` after its build: the built demo on the test's Redis (its own key prefix, ports the system
 * picks), which must exit 0 and print the counts its batch implies.
 */

const demo = fileURLToPath(new URL('../../apps/demo/dist/main.js', import.meta.url));

let redis: TestRedis;
beforeAll(async () => {
  redis = await useTestRedis();
});
afterAll(() => redis?.close());

/** The CLI's summary table: `outcome  count` lines. */
function summary(stdout: string): Record<string, number> {
  const rows = [...stdout.matchAll(/^([a-z_]+) +(\d+)$/gm)];
  return Object.fromEntries(rows.map(([, outcome = '', count]) => [outcome, Number(count)]));
}

describe('npm run demo', () => {
  it('exits 0 after its batch of 27 requests by name ends with the counts of its scenario', async () => {
    const run = await runCommand({
      args: [demo],
      env: { REDIS_URL: redis.url },
      timeoutMs: 100_000, // within the test's own timeout, so a hung demo is killed, not left behind
    });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('submitting 27 requests');
    expect(summary(run.stdout)).toEqual({
      succeeded: 22,
      warning: 1,
      partial_failure: 1,
      failed: 3,
      timed_out: 0,
      cancelled: 0,
      unknown: 0,
      total: 27,
    });
    expect(run.stdout).toContain('demo complete: every request ended with one completion event');
  });
});
