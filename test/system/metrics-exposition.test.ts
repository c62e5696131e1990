import { createRedisKeys } from '@aiqum-jobs/contracts';
import { lunRequest, metricValue, parseMetricSamples, runCommand } from '@aiqum-jobs/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineUnderTest, type ServiceProcess } from '../src/index.js';

const scrapeToken = 'scrape-token-0123456789';
const scrape = { authorization: `Bearer ${scrapeToken}` };

/** `promtool check metrics` on `exposition` (stdin): its exit code and everything it printed. */
async function promtoolCheck(exposition: string): Promise<{ code: number | null; output: string }> {
  const result = await runCommand({
    command: 'promtool',
    args: ['check', 'metrics'],
    input: exposition,
  }).catch((error: Error) => {
    const missing = (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
    throw missing
      ? new Error('promtool is not installed: install the Debian package prometheus (.ci/run does)')
      : error;
  });
  return { code: result.code, output: `${result.stdout}${result.stderr}` };
}

let pipeline: PipelineUnderTest;
let worker: ServiceProcess;
let api: ServiceProcess;

beforeAll(async () => {
  pipeline = await PipelineUnderTest.start({
    workers: 1,
    workerEnv: { AIQUM_JOBS_METRICS_TOKEN: scrapeToken },
    simulator: { scenario: { rules: [{ match: { method: 'POST' }, job: { durationMs: 300 } }] } },
  });
  const [first] = pipeline.workers;
  if (!first) throw new Error('no worker');
  worker = first;
  api = await pipeline.startProducerApi();
}, 60_000);
afterAll(() => pipeline.close());

describe('/metrics of real worker and producer processes', () => {
  it('moves with a batch, reports the same Redis state from both, and passes promtool check metrics', async () => {
    const submitted = await fetch(`${api.url}/v1/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ requests: ['lun_m1', 'lun_m2', 'lun_m3'].map((name) => lunRequest(name)) }),
    });
    expect(submitted.status).toBe(202);
    const { batchId } = (await submitted.json()) as { batchId: string };
    await pipeline.waitForBatch(batchId, 30_000);
    const redis = new Redis(pipeline.redis.url);
    try {
      await redis.xgroup('CREATE', createRedisKeys(pipeline.prefix).events, 'billing', '0');
    } finally {
      redis.disconnect();
    }

    expect((await fetch(`${worker.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${api.url}/metrics`)).status).toBe(401);
    const workerText = await (await fetch(`${worker.url}/metrics`, { headers: scrape })).text();
    const apiText = await (await fetch(`${api.url}/metrics`, { headers: scrape })).text();
    const fromWorker = parseMetricSamples(workerText);
    const fromApi = parseMetricSamples(apiText);

    expect(
      metricValue(fromWorker, 'aiqum_jobs_requests_completed_total', { outcome: 'succeeded', target: 'lab' }),
    ).toBe(3);
    expect(
      metricValue(fromWorker, 'aiqum_jobs_aiqum_responses_total', { target: 'lab', status: '202' }),
    ).toBe(3);
    expect(metricValue(fromWorker, 'aiqum_jobs_submit_duration_seconds_count', { target: 'lab' })).toBe(3);
    expect(
      metricValue(fromApi, 'aiqum_jobs_http_requests_total', {
        method: 'POST',
        route: '/v1/batches',
        status: '202',
      }),
    ).toBe(1);
    expect(metricValue(fromApi, 'aiqum_jobs_requests_created_total', { target: 'lab' })).toBe(3);
    expect(metricValue(fromApi, 'aiqum_jobs_batches_created_total')).toBe(1);
    for (const samples of [fromWorker, fromApi]) {
      expect(metricValue(samples, 'aiqum_jobs_redis_up')).toBe(1);
      // 3 request.accepted, 3 request.completed, 1 batch.completed; the new group has read none of them.
      expect(metricValue(samples, 'aiqum_jobs_event_stream_entries')).toBe(7);
      expect(metricValue(samples, 'aiqum_jobs_event_stream_group_lag', { group: 'billing' })).toBe(7);
      expect(metricValue(samples, 'aiqum_jobs_requests_tracked', { target: 'lab' })).toBe(0);
      expect(metricValue(samples, 'aiqum_jobs_queue_jobs', { queue: 'requests', state: 'waiting' })).toBe(0);
    }

    for (const exposition of [workerText, apiText]) {
      const checked = await promtoolCheck(exposition);
      expect(checked).toEqual({ code: 0, output: '' });
    }
  });
});
