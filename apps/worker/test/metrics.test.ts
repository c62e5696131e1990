import { Secret } from '@aiqum-jobs/core';
import { lunRequest, metricValue, parseMetricSamples, waitUntil } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

const scrapeToken = 'scrape-token-0123456789';

describe('worker metrics', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness([
      {
        name: 'lab',
        simulator: {
          scenario: {
            rules: [
              // Jobs last long enough to be polled; the `lun_err*` ones end in ERROR.
              {
                match: { method: 'POST', body: { name: 'lun_err*' } },
                job: { durationMs: 300, outcomes: { ERROR: 1 } },
              },
              { match: { method: 'POST' }, job: { durationMs: 300 } },
            ],
          },
        },
      },
    ]);
  });
  afterAll(() => h.close());

  it('count completions by outcome, AIQUM statuses and call durations, and read the state in Redis', async () => {
    const worker = await h.startWorker();
    const before = parseMetricSamples(await (await fetch(`${worker.healthUrl}/metrics`)).text());
    expect(
      metricValue(before, 'aiqum_jobs_requests_completed_total', { outcome: 'succeeded', target: 'lab' }),
    ).toBe(0);
    expect(metricValue(before, 'aiqum_jobs_webhook_deliveries_total', { result: 'delivered' })).toBe(0);

    await h.enqueue([
      ...['lun_m1', 'lun_m2', 'lun_m3'].map((name) => ({
        target: 'lab',
        ...lunRequest(name),
      })),
      { target: 'lab', ...lunRequest('lun_err1') },
      // The simulator rejects an SVM it does not know: 4xx, no job.
      { target: 'lab', ...lunRequest('lun_m4', { svm: 'no-such-svm' }) },
    ]);
    const completed = await h.waitForCompleted(5);
    const outcomes = completed.map((event) => event.outcome).sort();
    expect(outcomes).toEqual(['failed', 'failed', 'succeeded', 'succeeded', 'succeeded']);
    const rejected = completed.find((event) => event.error?.httpStatus !== undefined);
    const rejectedStatus = String(rejected?.error?.httpStatus);

    const response = await fetch(`${worker.healthUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parseMetricSamples(await response.text());
    const value = (name: string, labels: Record<string, string> = {}) => metricValue(samples, name, labels);

    expect(value('aiqum_jobs_requests_completed_total', { outcome: 'succeeded', target: 'lab' })).toBe(3);
    expect(value('aiqum_jobs_requests_completed_total', { outcome: 'failed', target: 'lab' })).toBe(2);
    expect(value('aiqum_jobs_requests_completed_total', { outcome: 'unknown', target: 'lab' })).toBe(0);
    expect(value('aiqum_jobs_aiqum_responses_total', { target: 'lab', status: '202' })).toBe(4);
    expect(value('aiqum_jobs_aiqum_responses_total', { target: 'lab', status: rejectedStatus })).toBe(1);
    // Every accepted job was polled at least once, each poll answered 200.
    expect(
      value('aiqum_jobs_aiqum_responses_total', { target: 'lab', status: '200' }),
    ).toBeGreaterThanOrEqual(4);
    expect(value('aiqum_jobs_submit_duration_seconds_count', { target: 'lab' })).toBe(5);
    const polls = value('aiqum_jobs_poll_duration_seconds_count', { target: 'lab' }) ?? 0;
    expect(polls).toBe(value('aiqum_jobs_aiqum_responses_total', { target: 'lab', status: '200' }));
    expect(value('aiqum_jobs_poll_duration_seconds_bucket', { target: 'lab', le: '+Inf' })).toBe(polls);
    expect(value('aiqum_jobs_submit_duration_seconds_sum', { target: 'lab' })).toBeGreaterThan(0);

    expect(value('aiqum_jobs_redis_up')).toBe(1);
    expect(value('aiqum_jobs_requests_tracked', { target: 'lab' })).toBe(0);
    for (const state of ['waiting', 'delayed', 'active', 'failed']) {
      expect(value('aiqum_jobs_queue_jobs', { queue: 'requests', state })).toBe(0);
    }
    // request.accepted for the 4 jobs, request.completed for all 5.
    expect(value('aiqum_jobs_event_stream_entries')).toBe(9);
    expect(value('process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('report tracked requests while their jobs run', async () => {
    const worker = await h.startWorker();
    const simulator = h.simulators.get('lab');
    if (!simulator) throw new Error('no simulator');
    simulator.setScenario({ rules: [{ match: { method: 'POST' }, job: { durationMs: 60_000 } }] });
    await h.enqueue(
      ['lun_long1', 'lun_long2'].map((name) => ({
        target: 'lab',
        ...lunRequest(name),
      })),
    );
    const tracked = await waitUntil(
      async () => {
        const samples = parseMetricSamples(await (await fetch(`${worker.healthUrl}/metrics`)).text());
        const value = metricValue(samples, 'aiqum_jobs_requests_tracked', { target: 'lab' });
        return value === 2 ? value : undefined;
      },
      { timeoutMs: 10_000, what: 'two tracked requests in the metrics' },
    );
    expect(tracked).toBe(2);
  });

  it('ask for the bearer token when one is configured', async () => {
    const worker = await h.startWorker({ metricsToken: new Secret(scrapeToken) });
    const refused = await fetch(`${worker.healthUrl}/metrics`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    const wrong = await fetch(`${worker.healthUrl}/metrics`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const allowed = await fetch(`${worker.healthUrl}/metrics`, {
      headers: { authorization: `Bearer ${scrapeToken}` },
    });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('aiqum_jobs_requests_completed_total');
    // Health stays open.
    expect((await fetch(`${worker.healthUrl}/healthz`)).status).toBe(200);
  });
});
