import { fileURLToPath } from 'node:url';
import { runCommand, type TestRedis, useTestRedis } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm run demo` after its build: the built demo on the test's Redis (its own key prefix, ports the system
 * picks), which must exit 0, print the counts its batch implies, and show by ref that the failure of one new
 * SVM skipped exactly what depends on it.
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

/** The demo's table of the provisioning in order: `ref  outcome  [after refs]  [reason]` lines, by ref. */
function provisioning(stdout: string): Record<string, string> {
  const table = stdout.slice(stdout.indexOf('the provisioning in order'));
  const rows = [
    ...table.matchAll(/^ {2}([a-z_]+) +(succeeded|failed|skipped)(?: +(after [a-z_, ]+?))?(?: {2,}.*)?$/gm),
  ];
  return Object.fromEntries(
    rows.map(([, ref = '', outcome = '', after]) => [ref, after ? `${outcome} ${after}` : outcome]),
  );
}

describe('npm run demo', () => {
  it('exits 0 after its batch of 41 requests by name ends with the counts of its scenario', async () => {
    const run = await runCommand({
      args: [demo],
      env: { REDIS_URL: redis.url },
      timeoutMs: 100_000, // within the test's own timeout, so a hung demo is killed, not left behind
    });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('submitting 41 requests');
    expect(summary(run.stdout)).toEqual({
      succeeded: 29,
      warning: 1,
      partial_failure: 1,
      failed: 4,
      timed_out: 0,
      cancelled: 0,
      unknown: 0,
      skipped: 6,
      total: 41,
    });
    expect(provisioning(run.stdout)).toEqual({
      svm_ok: 'succeeded',
      ep_ok: 'succeeded after svm_ok',
      fs_home_ok: 'succeeded after ep_ok',
      fs_data_ok: 'succeeded after ep_ok',
      ig_ok: 'succeeded after svm_ok',
      lun_db_ok: 'succeeded after ig_ok',
      lun_log_ok: 'succeeded after ig_ok',
      svm_fail: 'failed',
      ep_fail: 'skipped after svm_fail',
      fs_home_fail: 'skipped after ep_fail',
      fs_data_fail: 'skipped after ep_fail',
      ig_fail: 'skipped after svm_fail',
      lun_db_fail: 'skipped after ig_fail',
      lun_log_fail: 'skipped after ig_fail',
    });
    // Each skip names the dependency that did not succeed; the CLI lists them among what did not succeed.
    expect(
      run.stdout.match(/^ {2}\S+_fail +skipped +after \S+ +DEPENDENCY_FAILED: skipped: dependency/gm),
    ).toHaveLength(6);
    expect(run.stdout.match(/^[0-9a-f-]{36} +skipped +DEPENDENCY_FAILED: /gm)).toHaveLength(6);
    expect(run.stdout).toContain(
      'exactly the 6 dependants of SVM vs_demo_fail were skipped, and none reached AIQUM',
    );
    expect(run.stdout).toContain('demo complete: every request ended with one completion event');
  });
});
