import {
  lunRequest,
  metricValue,
  parseMetricSamples,
  startHttpReceiver,
  waitUntil,
} from '@aiqum-jobs/test-support';
import {
  loadWebhookConfig,
  SubscriptionStore,
  verifyWebhookSignature,
  WebhookUrlPolicy,
} from '@aiqum-jobs/webhooks';
import { describe, expect, it } from 'vitest';
import { startHarness } from './harness.js';

describe('webhooks of aiqum-worker', () => {
  it('fans the events out to the subscriptions, delivers them signed, and counts every attempt', async () => {
    const h = await startHarness([{ name: 'lab' }]);
    const receiver = await startHttpReceiver((request) =>
      request.url === '/refuses' ? { status: 503 } : { status: 204 },
    );
    const webhooks = loadWebhookConfig({
      WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1',
      WEBHOOK_MAX_ATTEMPTS: '2',
      WEBHOOK_BACKOFF_MS: '10',
    });
    try {
      const subscriptions = new SubscriptionStore({
        redis: h.redis,
        keys: h.keys,
        configured: [],
        urlPolicy: new WebhookUrlPolicy(webhooks),
      });
      const completions = await subscriptions.create({
        url: `${receiver.url}/aiqum`,
        types: ['request.completed'],
      });
      await subscriptions.create({ url: `${receiver.url}/refuses`, types: ['request.completed'] });
      const worker = await h.startWorker({ webhooks });
      await h.enqueue([{ target: 'lab', ...lunRequest('hooked') }]);
      const [completed] = await h.waitForCompleted(1);
      if (!completed) throw new Error('no completion event');

      // The worker's own consumer of the events stream queued both deliveries; nothing else did.
      const scrape = async () =>
        parseMetricSamples(await (await fetch(`${worker.healthUrl}/metrics`)).text());
      const count = (samples: ReturnType<typeof parseMetricSamples>, result: string) =>
        metricValue(samples, 'aiqum_jobs_webhook_deliveries_total', { result });
      const samples = await waitUntil(
        async () => {
          const found = await scrape();
          return count(found, 'delivered') === 1 && count(found, 'dead_lettered') === 1 && found;
        },
        { what: 'one delivery delivered, the refused one dead-lettered' },
      );
      // The refused delivery's first attempt; nothing else failed.
      expect(count(samples, 'failed')).toBe(1);

      const delivered = receiver.requests.filter((request) => request.url === '/aiqum');
      expect(delivered).toHaveLength(1);
      expect(receiver.requests.filter((request) => request.url === '/refuses')).toHaveLength(2);
      const [request] = delivered;
      expect(JSON.parse(request?.body ?? '')).toEqual(completed);
      expect(request?.headers['x-aiqumjobs-event-id']).toBe(completed.id);
      const verified = verifyWebhookSignature({
        secret: completions.secret.reveal(),
        body: request?.body ?? '',
        timestamp: String(request?.headers['x-aiqumjobs-timestamp']),
        signature: String(request?.headers['x-aiqumjobs-signature']),
      });
      expect(verified).toBe(true);
    } finally {
      await h.close();
      await receiver.close();
    }
  });
});
