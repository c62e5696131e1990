import { ConfigError } from '@aiqum-jobs/contracts';
import { lunRequest, waitUntil } from '@aiqum-jobs/test-support';
import { describe, expect, it } from 'vitest';
import { loadWorkerConfig } from '../src/index.js';
import { startHarness } from './harness.js';

describe('worker lifecycle', () => {
  it('serves /healthz and /readyz, and is not ready once it shuts down', async () => {
    const h = await startHarness([{ name: 'lab' }]);
    try {
      const worker = await h.startWorker();
      const health = await fetch(`${worker.healthUrl}/healthz`);
      expect(health.status).toBe(200);
      const ready = await fetch(`${worker.healthUrl}/readyz`);
      expect(await ready.json()).toEqual({ status: 'ready' });
      expect((await fetch(`${worker.healthUrl}/nope`)).status).toBe(404);
      await worker.close();
      await expect(fetch(`${worker.healthUrl}/healthz`)).rejects.toThrow();
    } finally {
      await h.close();
    }
  });

  it('lets a long poll go at shutdown and hands the request to the next worker', async () => {
    // The simulator's jobs run on a clock the test moves: the job is still running when the worker stops.
    let simulatorNow = Date.now();
    const h = await startHarness([
      {
        name: 'long',
        simulator: {
          longPoll: true,
          now: () => simulatorNow,
          scenario: { rules: [{ match: { method: 'POST' }, job: { durationMs: 2_500 } }] },
        },
        target: {
          longPoll: { parameter: 'poll_timeout', lastModifiedParameter: 'last_modified', maxWaitSeconds: 30 },
        },
      },
    ]);
    try {
      const first = await h.startWorker();
      const [spec] = await h.enqueue([
        {
          target: 'long',
          ...lunRequest('handover'),
        },
      ]);
      const simulator = h.simulators.get('long');
      // The first long poll has arrived; the job cannot change before the clock moves, so it is held.
      await waitUntil(() => Object.keys(simulator?.stats().polls ?? {}).length > 0, {
        what: 'the first long poll',
      });
      const closedAt = Date.now();
      await first.close();
      // The long poll was stopped and handed back, due at once, not left claimed by a stopped worker.
      const dueAt = Number(await h.redis.zscore(h.keys.targetDue('long'), spec?.requestId ?? ''));
      expect(dueAt).toBeGreaterThan(0);
      expect(dueAt).toBeLessThanOrEqual(Date.now());
      expect(dueAt).toBeGreaterThanOrEqual(closedAt);
      simulatorNow += 2_500;
      await h.startWorker();
      const [event] = await h.waitForCompleted(1);
      expect(event).toMatchObject({ requestId: spec?.requestId, outcome: 'succeeded' });
      expect(h.simulators.get('long')?.stats().submissions[spec?.requestId ?? '']).toBe(1);
    } finally {
      await h.close();
    }
  });

  // The cut writes are reconciled once their claims' leases (the 10 s timeout plus 5 s) have passed twice.
  it('aborts submissions still in flight when the shutdown timeout passes, and stops in time', {
    timeout: 90_000,
  }, async () => {
    const h = await startHarness([
      {
        name: 'slow',
        simulator: { scenario: { rules: [{ faults: { latencyMs: 8_000 } }] } },
        target: { timeoutMs: 10_000 },
      },
    ]);
    try {
      const worker = await h.startWorker({ shutdownTimeoutMs: 300 });
      const specs = await h.enqueue([
        { target: 'slow', ...lunRequest('stop_1') },
        { target: 'slow', ...lunRequest('stop_2') },
        { target: 'slow', method: 'GET', path: '/api/datacenter/svm/svms' },
      ]);
      await waitUntil(
        async () => {
          const views = await Promise.all(specs.map((spec) => h.store.records.get(spec.requestId)));
          return views.every((view) => view?.status === 'submitting') || undefined;
        },
        { timeoutMs: 5_000, what: 'all three calls to be in flight' },
      );
      await worker.close();
      // The simulator counts a write once its 8 s delay is over: none was when close() returned, so close()
      // did not wait for the calls (without the abort it did, whatever the timeout said).
      expect(h.simulators.get('slow')?.stats().submissions).toEqual({});

      // The writes may have reached AIQUM: they wait to be reconciled, never sent again. The read goes back
      // to the queue.
      const read = specs[2]?.requestId ?? '';
      const views = await Promise.all(specs.map((spec) => h.store.records.get(spec.requestId)));
      expect(views.map((view) => view?.status)).toEqual(['queued', 'queued', 'queued']);
      h.simulators.get('slow')?.setScenario({ rules: [] });
      await h.startWorker();
      const all = await h.waitForCompleted(3, 80_000);
      expect(all.find((event) => event.requestId === read)?.outcome).toBe('succeeded');
      expect(all).toHaveLength(3);
      // AIQUM processed the cut writes once their delay was over; reconciliation tracked each one's job.
      for (const spec of specs.slice(0, 2)) {
        expect(all.find((event) => event.requestId === spec.requestId)).toMatchObject({
          outcome: 'succeeded',
          reconciled: true,
        });
        expect(h.simulators.get('slow')?.stats().submissions[spec.requestId]).toBe(1);
      }
    } finally {
      await h.close();
    }
  });

  it('trims events older than the retention at start, except those a consumer group has not read', async () => {
    const h = await startHarness([{ name: 'lab' }]);
    try {
      // 250 entries two retentions old; the group "billing" has read up to the 150th.
      const oldMs = Date.now() - 2 * h.config.retentionSeconds * 1_000;
      const old = Array.from({ length: 250 }, (_, index) => `${oldMs}-${index}`);
      const pipeline = h.redis.pipeline();
      for (const id of old) pipeline.xadd(h.keys.events, id, 'event', '{}');
      await pipeline.exec();
      await h.redis.xgroup('CREATE', h.keys.events, 'billing', old[149] ?? '');
      await h.startWorker();
      await waitUntil(async () => (await h.redis.xlen(h.keys.events)) < old.length, {
        what: 'the worker to trim the events stream',
      });
      const left = (await h.redis.xrange(h.keys.events, '-', '+')).map(([id]) => id);
      expect(left).not.toContain(old[0]);
      expect(left).toEqual(expect.arrayContaining(old.slice(150)));
    } finally {
      await h.close();
    }
  });

  it('refuses bad configuration with a clear message', () => {
    const base = { AIQUM_URL: 'https://aiqum.example.com', AIQUM_USERNAME: 'u', AIQUM_PASSWORD: 'p' };
    expect(loadWorkerConfig(base)).toMatchObject({ concurrency: 50, lockMs: 15_000, health: { port: 8081 } });
    expect(() => loadWorkerConfig({ ...base, WORKER_CONCURRENCY: '0' })).toThrow(ConfigError);
    expect(() => loadWorkerConfig({ ...base, WORKER_CONCURRENCY: 'lots' })).toThrow(/WORKER_CONCURRENCY/);
    expect(loadWorkerConfig({ ...base, WEBHOOK_CONCURRENCY: '5' }).webhooks.concurrency).toBe(5);
    expect(() => loadWorkerConfig({ ...base, WEBHOOK_CONCURRENCY: '0' })).toThrow(/WEBHOOK_CONCURRENCY/);
    expect(loadWorkerConfig(base).orphanedTargetGraceSeconds).toBe(600);
    expect(
      loadWorkerConfig({ ...base, WORKER_ORPHANED_TARGET_GRACE_SECONDS: '30' }).orphanedTargetGraceSeconds,
    ).toBe(30);
    expect(() => loadWorkerConfig({ ...base, WORKER_ORPHANED_TARGET_GRACE_SECONDS: '0' })).toThrow(
      /WORKER_ORPHANED_TARGET_GRACE_SECONDS/,
    );
  });

  it('refuses an AIQUM_URL that is the aiqum-jobs API, in one line naming AIQUM_JOBS_URL', () => {
    const credentials = { AIQUM_USERNAME: 'u', AIQUM_PASSWORD: 'p' };
    for (const url of ['http://127.0.0.1:8080/v1', 'https://jobs.example.com/v1/requests']) {
      const problems = (() => {
        try {
          loadWorkerConfig({ ...credentials, AIQUM_URL: url });
        } catch (error) {
          if (error instanceof ConfigError) return error.problems;
          throw error;
        }
        throw new Error(`${url} was accepted`);
      })();
      expect(problems, url).toEqual([
        expect.stringMatching(/^AIQUM_URL: looks like the aiqum-jobs API.*AIQUM_JOBS_URL/),
      ]);
      expect(problems[0], url).not.toContain('\n');
    }
    // Not a clear case: an AIQUM server (or a simulator) may listen on 8080.
    expect(loadWorkerConfig({ ...credentials, AIQUM_URL: 'http://127.0.0.1:8080' }).targets.size).toBe(1);
  });
});
