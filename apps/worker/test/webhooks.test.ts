import { createRedisKeys } from '@aiqum-jobs/core';
import { startHttpReceiver, waitUntil } from '@aiqum-jobs/test-support';
import {
  createDeliveryQueue,
  DeliveryFanOut,
  loadWebhookConfig,
  SubscriptionStore,
  verifyWebhookSignature,
  WebhookUrlPolicy,
} from '@aiqum-jobs/webhooks';
import { describe, expect, it } from 'vitest';
import { lunBody, startHarness } from './harness.js';

describe('webhook deliveries of aiqum-worker', () => {
  it('delivers the completion event of a request to a subscription, signed', async () => {
    const h = await startHarness([{ name: 'lab' }]);
    const receiver = await startHttpReceiver();
    const webhooks = loadWebhookConfig({ WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1', WEBHOOK_CONCURRENCY: '2' });
    const deliveryQueue = createDeliveryQueue({ connection: h.redis, prefix: h.config.prefix });
    try {
      const subscriptions = new SubscriptionStore({
        redis: h.redis,
        keys: createRedisKeys(h.config.prefix),
        configured: [],
        urlPolicy: new WebhookUrlPolicy(webhooks),
      });
      const subscription = await subscriptions.create({
        url: `${receiver.url}/aiqum`,
        types: ['request.completed'],
      });
      await h.startWorker({ webhooks });
      await h.enqueue([
        { target: 'lab', method: 'POST', path: '/api/storage-provider/luns', body: lunBody('hooked') },
      ]);
      const [completed] = await h.waitForCompleted(1);
      if (!completed) throw new Error('no completion event');
      // What the events subscriber does for each event of the stream.
      const fanOut = new DeliveryFanOut({
        subscriptions,
        queue: deliveryQueue,
        maxAttempts: 3,
        retentionSeconds: 3_600,
      });
      await fanOut.enqueueDeliveries(completed);

      const [request] = await waitUntil(() => receiver.requests.length > 0 && receiver.requests, {
        what: 'the delivery',
      });
      expect(request?.url).toBe('/aiqum');
      expect(JSON.parse(request?.body ?? '')).toEqual(completed);
      expect(request?.headers['x-aiqumjobs-event-id']).toBe(completed.id);
      const verified = verifyWebhookSignature({
        secret: subscription.secret.reveal(),
        body: request?.body ?? '',
        timestamp: String(request?.headers['x-aiqumjobs-timestamp']),
        signature: String(request?.headers['x-aiqumjobs-signature']),
      });
      expect(verified).toBe(true);
    } finally {
      await deliveryQueue.close();
      await h.close();
      await receiver.close();
    }
  });
});
