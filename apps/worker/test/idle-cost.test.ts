import { lunRequest, waitUntil } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, recordingDispatcher, startHarness } from './harness.js';

/**
 * A bound that tells sleeping pollers from the old 200 ms loop (405 commands/s with 20 targets) on a busy
 * machine; the measured figure, over a whole minute with the once-a-minute checks and BullMQ's stalled check
 * in it, is `npm run bench -- idle`'s (docs/BENCHMARKS.md: 4.1/s; issue 13 asks 3).
 */
const maxIdleCommandsPerSecond = 10;
/** Without a due notice the poller would sleep its whole idle check (minutes). */
const maxLateMs = 5_000;
const firstPollDelayMs = 300;

let h: Harness;
const calls = recordingDispatcher();

beforeAll(async () => {
  h = await startHarness(
    Array.from({ length: 20 }, (_, index) => ({
      name: `idle-${index + 1}`,
      simulator: {
        seed: index + 1,
        scenario: { rules: [{ match: { method: 'POST' }, job: { durationMs: 3_600_000 } }] },
      },
      target: {
        poll: {
          initialDelayMs: firstPollDelayMs,
          multiplier: 1,
          maxDelayMs: 60_000,
          jitter: 0,
          retryAfterMinMs: 100,
          retryAfterMaxMs: 60_000,
        },
      },
    })),
    // Counts of a Redis of the test's own are this worker's alone.
    { ownRedis: true },
  );
  // The deployed stalled-check interval: BullMQ's check costs Redis commands of its own each time.
  await h.startWorker({ stalledIntervalMs: 5_000 }, { dispatcher: calls.dispatcher });
}, 60_000);
afterAll(() => h.close());

function totalCommands(info: string): number {
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 'NaN');
}

describe('an idle worker', () => {
  it('with 20 targets and nothing due costs Redis a few commands a second, not a claim per target every 200 ms', async () => {
    // Start-up work (first claims, heartbeats) is not idle cost.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await h.redis.config('RESETSTAT');
    const startedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const commands = totalCommands(await h.redis.info('stats'));
    const seconds = (performance.now() - startedAt) / 1_000;
    // CONFIG RESETSTAT counts itself; INFO does not.
    expect((commands - 1) / seconds).toBeLessThanOrEqual(maxIdleCommandsPerSecond);
  });

  it('polls a request accepted while its poller sleeps at its due time, woken by the due notice', async () => {
    const [spec] = await h.enqueue([{ target: 'idle-7', ...lunRequest('idle_lun', { seed: 7 }) }]);
    await waitUntil(
      async () => ((await h.store.records.get(spec?.requestId ?? ''))?.polls ?? 0) >= 1 || undefined,
    );
    const view = await h.store.records.get(spec?.requestId ?? '');
    const submittedAt = view?.submittedAt ?? Number.NaN;
    const jobKey = view?.job?.kind === 'aiqum' ? view.job.key : '';
    const jobPath = `/api/management-server/jobs/${encodeURIComponent(jobKey)}`;
    const firstPoll = calls.sent.find((call) => call.method === 'GET' && call.path === jobPath);
    const lateMs = (firstPoll?.at ?? Number.NaN) - (submittedAt + firstPollDelayMs);
    expect(lateMs).toBeGreaterThanOrEqual(0);
    expect(lateMs).toBeLessThanOrEqual(maxLateMs);
  });
});
