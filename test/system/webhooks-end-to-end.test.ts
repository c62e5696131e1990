import { type HttpReceiver, lunRequest, startHttpReceiver, waitUntil } from '@aiqum-jobs/test-support';
import { verifyWebhookSignature, webhookHeaders } from '@aiqum-jobs/webhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineUnderTest, type ServiceProcess } from '../src/index.js';

let pipeline: PipelineUnderTest;
let api: ServiceProcess;
let receiver: HttpReceiver;

beforeAll(async () => {
  receiver = await startHttpReceiver();
  // The receiver listens on loopback: producer and worker both allow exactly that address.
  pipeline = await PipelineUnderTest.start({
    workers: 1,
    workerEnv: { WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1' },
    simulator: { scenario: { rules: [{ match: { method: 'POST' }, job: { durationMs: 300 } }] } },
  });
  api = await pipeline.startProducerApi();
}, 60_000);
afterAll(async () => {
  await pipeline.close();
  await receiver.close();
});

function header(name: string, index = 0): string {
  const value = receiver.requests[index]?.headers[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

describe('webhooks through real producer and worker processes', () => {
  it("delivers a request's request.completed event, signed, to the URL subscribed through the API", async () => {
    const subscribed = await fetch(`${api.url}/v1/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${receiver.url}/hooks/aiqum`, types: ['request.completed'] }),
    });
    expect(subscribed.status).toBe(201);
    const { secret } = (await subscribed.json()) as { secret: string };

    const submitted = await fetch(`${api.url}/v1/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ target: 'lab', ...lunRequest('lun_hook1') }),
    });
    expect(submitted.status).toBe(202);
    const { requestId } = (await submitted.json()) as { requestId: string };

    await waitUntil(() => receiver.requests.length > 0, { timeoutMs: 30_000, what: 'the delivery' });
    const completed = (await pipeline.events({ types: ['request.completed'] })).filter(
      (event) => event.requestId === requestId,
    );
    expect(completed).toHaveLength(1);
    const [event] = completed;
    // request.accepted is in the stream too; the subscription asked for completions only.
    expect(receiver.requests).toHaveLength(1);
    const [delivery] = receiver.requests;
    expect(delivery?.method).toBe('POST');
    expect(delivery?.url).toBe('/hooks/aiqum');
    expect(header(webhookHeaders.eventId)).toBe(event?.id);
    expect(JSON.parse(delivery?.body ?? '')).toEqual(event);
    const verified = verifyWebhookSignature({
      secret,
      body: delivery?.body ?? '',
      timestamp: header(webhookHeaders.timestamp),
      signature: header(webhookHeaders.signature),
    });
    expect(verified).toBe(true);
  });
});
