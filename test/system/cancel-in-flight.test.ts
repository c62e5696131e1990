import { createRedisKeys, type RequestView } from '@aiqum-jobs/contracts';
import { connectRedis } from '@aiqum-jobs/core';
import { lunRequest, waitUntil } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineUnderTest, type ServiceProcess } from '../src/index.js';

/**
 * `DELETE /v1/requests/:id` while the worker's POST is in flight (AIQUM holds it 1.5 s): the request ends
 * `cancelled`, with its one `request.completed`; the write AIQUM accepted meanwhile is not tracked (no
 * `request.accepted`, no poll), and its AIQUM Job is not cancelled.
 */

let pipeline: PipelineUnderTest;
let api: ServiceProcess;

beforeAll(async () => {
  pipeline = await PipelineUnderTest.start({
    workers: 1,
    simulator: {
      scenario: {
        rules: [
          {
            match: { method: 'POST', path: '/api/storage-provider/luns' },
            job: { durationMs: 500 },
            faults: { latencyMs: 1_500 },
          },
        ],
      },
    },
  });
  api = await pipeline.startProducerApi();
}, 60_000);
afterAll(() => pipeline?.close());

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${api.url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('cancel while the submission is in flight', () => {
  it('ends the request cancelled once, and the Job AIQUM accepted meanwhile is neither tracked nor cancelled', async () => {
    const submitted = await call('POST', '/v1/requests', { target: 'lab', ...lunRequest('lun_cancelled') });
    expect(submitted.status).toBe(202);
    const requestId = String(submitted.body.requestId);
    const { simulator } = pipeline;
    await waitUntil(() => simulator.stats().faults.latency === 1, { what: 'AIQUM to hold the POST' });

    const cancelled = await call('DELETE', `/v1/requests/${requestId}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({
      status: 'completed',
      outcome: 'cancelled',
      error: { code: 'CANCELLED' },
    });

    // AIQUM answers 202 after its latency; the worker records the answer and frees the call slot.
    const redis = connectRedis(pipeline.redisEndpoint);
    const keys = createRedisKeys(pipeline.prefix);
    try {
      await waitUntil(
        async () =>
          simulator.stats().submissions[requestId] === 1 &&
          (await redis.zcard(keys.targetInFlight('lab'))) === 0,
        { what: "the worker to record AIQUM's answer" },
      );
      // Nothing is left to poll it.
      expect(await redis.zscore(keys.targetDue('lab'), requestId)).toBeNull();
    } finally {
      redis.disconnect();
    }
    const stats = simulator.stats();
    expect(stats.submissions[requestId]).toBe(1);
    expect(stats.jobs.total).toBe(1);
    expect(stats.jobs.byState.ABORTED).toBe(0);
    expect(stats.polls).toEqual({});
    // Its log line reaches this process through a pipe, a little after the slot was freed.
    await waitUntil(
      () =>
        pipeline.workers[0]?.output
          .split('\n')
          .some(
            (line) => line.includes(requestId) && line.includes('request ended while it was being submitted'),
          ),
      { what: 'the worker to log that it leaves the Job untracked' },
    );

    const events = (await pipeline.events()).filter(
      (event) => 'requestId' in event && event.requestId === requestId,
    );
    expect(events.map((event) => (event.type === 'request.completed' ? event.outcome : event.type))).toEqual([
      'cancelled',
    ]);
    const view = (await call('GET', `/v1/requests/${requestId}`)).body as unknown as RequestView;
    expect(view).toMatchObject({ status: 'completed', outcome: 'cancelled' });
    expect(view.job).toBeUndefined();
  });
});
