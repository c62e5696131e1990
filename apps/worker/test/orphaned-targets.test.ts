import { randomUUID } from 'node:crypto';
import { createLogger, requestErrorCodes } from '@aiqum-jobs/contracts';
import type { TargetConfig } from '@aiqum-jobs/core';
import { logSink, lunRequest, metricValue, parseMetricSamples, waitUntil } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AiqumWorker } from '../src/index.js';
import { type Harness, startHarness } from './harness.js';

const graceSeconds = 3;
let h: Harness;

beforeAll(async () => {
  const lasting = (durationMs: number) => ({
    scenario: { rules: [{ match: { method: 'POST' }, job: { durationMs } }] },
  });
  h = await startHarness([
    { name: 'kept', simulator: { seed: 7 } },
    { name: 'dropped', simulator: { seed: 8, ...lasting(3_600_000) } },
    { name: 'returning', simulator: { seed: 9, ...lasting(6_000) } },
  ]);
});
afterAll(() => h.close());

/** A worker whose configuration has only `names`, with a short grace; its log goes to `sink`. */
function startServing(names: string[], sink = logSink()): Promise<AiqumWorker> {
  const targets = new Map<string, TargetConfig>();
  for (const name of names) {
    const target = h.config.targets.get(name);
    if (target) targets.set(name, target);
  }
  return h.startWorker(
    { targets, orphanedTargetGraceSeconds: graceSeconds },
    { logger: createLogger({ name: names.join(','), destination: sink.destination }) },
  );
}

async function orphanedGauge(worker: AiqumWorker, target: string): Promise<number | undefined> {
  const samples = parseMetricSamples(await (await fetch(`${worker.healthUrl}/metrics`)).text());
  return metricValue(samples, 'aiqum_jobs_orphaned_tracked_requests', { target });
}

/** Enqueues one request for `target` while only `worker` runs, and waits until its Job is tracked. */
async function trackedRequest(target: string, seed: number): Promise<string> {
  const [spec] = await h.enqueue([{ target, ...lunRequest(`${target}_lun`, { seed }) }]);
  if (!spec) throw new Error('no request');
  await waitUntil(async () => (await h.store.records.get(spec.requestId))?.status === 'tracking', {
    what: 'tracking',
  });
  return spec.requestId;
}

/** The `request.completed` events of a request, once there is one. */
function completionsOf(requestId: string) {
  return waitUntil(
    async () => {
      const found = (await h.completed()).filter((event) => event.requestId === requestId);
      return found.length > 0 ? found : undefined;
    },
    { timeoutMs: 20_000, what: 'the completion' },
  );
}

describe('a target no worker serves', () => {
  it('has its tracked requests ended unknown UNKNOWN_TARGET after the grace, with a warning and a metric before', async () => {
    const serving = await startServing(['dropped']);
    // With a request of its batch waiting for it: skipped when it ends, and counted by the worker that skips it.
    const trackedId = randomUUID();
    const [tracked, dependant] = await h.enqueue(
      [
        {
          target: 'dropped',
          ...lunRequest('dropped_lun', { seed: 8 }),
          ref: 'tracked',
          requestId: trackedId,
        },
        {
          target: 'dropped',
          ...lunRequest('dropped_dependant', { seed: 8 }),
          ref: 'dependant',
          dependsOn: [{ ref: 'tracked', requestId: trackedId }],
        },
      ],
      { batchId: randomUUID() },
    );
    if (!tracked || !dependant) throw new Error('no requests');
    const { requestId } = tracked;
    await waitUntil(async () => (await h.store.records.get(requestId))?.status === 'tracking', {
      what: 'tracking',
    });
    // Started only now: a worker without the target fails a queued request for it at once.
    const sink = logSink();
    const remaining = await startServing(['kept'], sink);
    // Stopped however the test ends: it would fail the queued requests of the next test.
    await using _remaining = remaining;
    await serving.close();
    const stoppedAt = Date.now();

    await waitUntil(async () => (await orphanedGauge(remaining, 'dropped')) === 1, {
      what: 'the orphaned request in the metric',
    });
    await waitUntil(
      () => sink.lines().some((line) => line.level === 40 && line.target === 'dropped' && line.tracked === 1),
      { what: 'the warning' },
    );
    expect((await h.store.records.get(requestId))?.status).toBe('tracking');

    const completed = await completionsOf(requestId);
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(graceSeconds * 1_000 - 500);
    expect(completed).toEqual([
      expect.objectContaining({
        requestId,
        outcome: 'unknown',
        error: expect.objectContaining({ code: requestErrorCodes.unknownTarget }),
      }),
    ]);
    await waitUntil(async () => (await orphanedGauge(remaining, 'dropped')) === undefined, {
      what: 'the metric cleared',
    });
    expect((await h.completed()).filter((event) => event.requestId === requestId)).toHaveLength(1);
    expect(await h.redis.zcard(h.keys.targetDue('dropped'))).toBe(0);
    expect(await completionsOf(dependant.requestId)).toEqual([
      expect.objectContaining({
        outcome: 'skipped',
        error: expect.objectContaining({ code: requestErrorCodes.dependencyFailed }),
      }),
    ]);
    const samples = parseMetricSamples(await (await fetch(`${remaining.healthUrl}/metrics`)).text());
    expect(
      metricValue(samples, 'aiqum_jobs_requests_completed_total', { outcome: 'skipped', target: 'dropped' }),
    ).toBe(1);
  });

  it('keeps tracking the requests of a target served again within the grace', async () => {
    const first = await startServing(['returning']);
    const requestId = await trackedRequest('returning', 9);
    await using watcher = await startServing(['kept']);
    await first.close();
    await waitUntil(async () => (await orphanedGauge(watcher, 'returning')) === 1, {
      what: 'the orphaned request in the metric',
    });
    await startServing(['returning']);
    const events = await completionsOf(requestId);
    expect(events).toEqual([expect.objectContaining({ requestId, outcome: 'succeeded' })]);
    expect(await orphanedGauge(watcher, 'returning')).toBeUndefined();
  });
});
