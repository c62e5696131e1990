import { createLogger, eventSchema } from '@aiqum-jobs/contracts';
import { Secret } from '@aiqum-jobs/core';
import { type HttpReceiver, startHttpReceiver, waitUntil } from '@aiqum-jobs/test-support';
import {
  DeliveryFanOut,
  type DeliveryWorker,
  loadWebhookConfig,
  SubscriptionStore,
  startDeliveryWorker,
  WebhookUrlPolicy,
} from '@aiqum-jobs/webhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, type Harness, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    configuredSubscriptions: [
      {
        id: 'from-file',
        url: 'https://hooks.example.com/aiqum',
        types: ['batch.completed'],
        secret: new Secret('configured-secret-0123456789'),
        source: 'config',
      },
    ],
  });
});
afterAll(() => h.close());

const post = (payload: object) =>
  h.server.inject({ method: 'POST', url: '/v1/subscriptions', headers: auth, payload });
const get = (url: string) => h.server.inject({ method: 'GET', url, headers: auth });

describe('/v1/subscriptions', () => {
  it('creates, lists, shows and deletes subscriptions; the secret is shown only at creation', async () => {
    const given = 'my-own-secret-0123456789';
    const created = await post({
      url: 'https://93.184.215.14/hooks/aiqum?team=storage',
      types: ['request.completed'],
      batchId: 'b-42',
      secret: given,
    });
    expect(created.statusCode).toBe(201);
    const subscription = created.json();
    expect(subscription).toMatchObject({
      url: 'https://93.184.215.14/hooks/aiqum?team=storage',
      types: ['request.completed'],
      batchId: 'b-42',
      source: 'api',
      secret: given,
      links: { self: `/v1/subscriptions/${subscription.id}` },
    });
    expect(created.headers.location).toBe(`/v1/subscriptions/${subscription.id}`);
    expect(Date.parse(subscription.createdAt)).not.toBeNaN();

    const generated = (await post({ url: 'https://93.184.215.14/other' })).json();
    expect(generated.types).toEqual(['request.accepted', 'request.completed', 'batch.completed']);
    expect(generated.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const listed = await get('/v1/subscriptions');
    expect(listed.statusCode).toBe(200);
    expect(listed.json().subscriptions.map((entry: { id: string }) => entry.id)).toEqual([
      'from-file',
      subscription.id,
      generated.id,
    ]);
    const shown = await get(`/v1/subscriptions/${subscription.id}`);
    expect(shown.json()).toEqual({
      id: subscription.id,
      url: subscription.url,
      types: ['request.completed'],
      batchId: 'b-42',
      createdAt: subscription.createdAt,
      source: 'api',
    });
    for (const text of [listed.body, shown.body, h.logs.text()]) {
      expect(text).not.toContain(given);
      expect(text).not.toContain(generated.secret);
      expect(text).not.toContain('configured-secret');
    }

    const deleted = await h.server.inject({
      method: 'DELETE',
      url: `/v1/subscriptions/${subscription.id}`,
      headers: auth,
    });
    expect(deleted.statusCode).toBe(204);
    expect((await get(`/v1/subscriptions/${subscription.id}`)).json().error.code).toBe('NOT_FOUND');
    const again = await h.server.inject({
      method: 'DELETE',
      url: `/v1/subscriptions/${subscription.id}`,
      headers: auth,
    });
    expect(again.statusCode).toBe(404);
  });

  it('lists configured subscriptions, which only the file can change', async () => {
    expect((await get('/v1/subscriptions/from-file')).json()).toEqual({
      id: 'from-file',
      url: 'https://hooks.example.com/aiqum',
      types: ['batch.completed'],
      source: 'config',
    });
    const deleted = await h.server.inject({
      method: 'DELETE',
      url: '/v1/subscriptions/from-file',
      headers: auth,
    });
    expect(deleted.statusCode).toBe(409);
    expect(deleted.json().error).toMatchObject({ code: 'SUBSCRIPTION_CONFIGURED' });
    expect(deleted.json().error.message).toMatch(/WEBHOOKS_FILE/);
  });

  const bad: Array<[string, object, string, RegExp]> = [
    ['no url', { types: ['request.completed'] }, 'url', /./],
    ['an ftp URL', { url: 'ftp://93.184.215.14/x' }, 'url', /must be an http:\/\/ or https:\/\/ URL/],
    ['a file URL', { url: 'file:///etc/passwd' }, 'url', /must be an http/],
    ['credentials in the URL', { url: 'https://u:p@93.184.215.14/x' }, 'url', /credentials/],
    ['a loopback address', { url: 'http://127.0.0.1:6379/' }, 'url', /127\.0\.0\.1 is a loopback address/],
    ['an IPv6 loopback address', { url: 'http://[::1]:8080/' }, 'url', /::1 is a loopback address/],
    ['a private address', { url: 'http://10.1.2.3/hook' }, 'url', /10\.1\.2\.3 is a private address/],
    ['cloud metadata', { url: 'http://169.254.169.254/latest/' }, 'url', /cloud metadata address/],
    [
      'a name resolving to loopback',
      { url: 'http://localhost:8080/' },
      'url',
      /^localhost resolves to .* loopback/,
    ],
    ['an empty types list', { url: 'https://93.184.215.14/', types: [] }, 'types', /at least one event type/],
    ['an unknown event type', { url: 'https://93.184.215.14/', types: ['job.done'] }, 'types[0]', /./],
    ['a short secret', { url: 'https://93.184.215.14/', secret: 'short' }, 'secret', /at least 16/],
    ['an unknown field', { url: 'https://93.184.215.14/', headers: { a: 'b' } }, '(body)', /./],
  ];

  it.each(bad)(
    'rejects %s with 400 naming the field, and stores nothing',
    async (_name, body, path, message) => {
      const before = await h.redis.hlen(h.keys.webhookSubscriptions);
      const response = await post(body);
      expect(response.statusCode).toBe(400);
      const { error } = response.json();
      expect(error.code).toBe('VALIDATION_FAILED');
      const issue = error.issues.find((candidate: { path: string }) => candidate.path === path);
      expect(issue?.message).toMatch(message);
      expect(await h.redis.hlen(h.keys.webhookSubscriptions)).toBe(before);
    },
  );

  it('needs the bearer token like every other route', async () => {
    for (const [method, url] of [
      ['GET', '/v1/subscriptions'],
      ['POST', '/v1/subscriptions'],
      ['GET', '/v1/subscriptions/from-file/dead-letters'],
      ['DELETE', '/v1/subscriptions/from-file'],
    ] as const) {
      const response = await h.server.inject({ method, url });
      expect(response.statusCode, `${method} ${url}`).toBe(401);
    }
  });

  it('answers 404 for the dead letters of a subscription that does not exist', async () => {
    expect((await get('/v1/subscriptions/nope/dead-letters')).statusCode).toBe(404);
    const replay = await h.server.inject({
      method: 'POST',
      url: '/v1/subscriptions/nope/dead-letters/nope:r1:completed/replay',
      headers: auth,
    });
    expect(replay.statusCode).toBe(404);
  });
});

describe('/v1/subscriptions/:id/dead-letters', () => {
  let open: Harness;
  let receiver: HttpReceiver;
  let worker: DeliveryWorker;
  beforeAll(async () => {
    receiver = await startHttpReceiver(() => ({ status: 410 }));
    open = await startHarness({ urlPolicy: { allowPrivate: false, allowedNetworks: ['127.0.0.1'] } });
    const config = loadWebhookConfig({ WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1', WEBHOOK_BACKOFF_MS: '10' });
    worker = await startDeliveryWorker({
      redis: open.testRedis.connect(),
      prefix: open.testRedis.prefix,
      retentionSeconds: 3_600,
      config,
      logger: createLogger({ name: 'delivery-test', level: 'silent' }),
    });
  });
  afterAll(async () => {
    await worker.close();
    await open.close();
    await receiver.close();
  });

  it('lists the dead letters of a subscription and replays one', async () => {
    const created = await open.server.inject({
      method: 'POST',
      url: '/v1/subscriptions',
      headers: auth,
      payload: { url: `${receiver.url}/hook` },
    });
    expect(created.statusCode).toBe(201);
    const subscription = created.json();
    const at = new Date().toISOString();
    const event = eventSchema.parse({
      id: 'r-1:accepted',
      type: 'request.accepted',
      occurredAt: at,
      requestId: 'r-1',
      target: 'lab',
      method: 'POST',
      path: '/api/storage-provider/luns',
      job: { kind: 'aiqum', key: 'job-1', href: '/api/management-server/jobs/job-1', source: 'job.key' },
    });
    // What the events subscriber does for each event.
    const fanOut = new DeliveryFanOut({
      subscriptions: new SubscriptionStore({
        redis: open.redis,
        keys: open.keys,
        configured: [],
        urlPolicy: new WebhookUrlPolicy({ allowPrivate: false, allowedNetworks: [] }),
      }),
      queue: open.deliveryQueue,
      maxAttempts: 8,
      retentionSeconds: 3_600,
    });
    const [deliveryId] = await fanOut.enqueueDeliveries(event);
    const url = `/v1/subscriptions/${subscription.id}/dead-letters`;
    const listed = await waitUntil(
      async () => {
        const page = (await open.server.inject({ method: 'GET', url, headers: auth })).json();
        return page.total === 1 && page.deadLetters.length === 1 && page;
      },
      { what: 'a dead letter' },
    );
    expect(receiver.requests).toHaveLength(1);
    expect(listed).toMatchObject({
      subscriptionId: subscription.id,
      offset: 0,
      limit: 100,
      total: 1,
      deadLetters: [{ deliveryId, attempts: 1, lastError: 'answered 410', event: { id: 'r-1:accepted' } }],
    });

    receiver.respondWith(() => ({ status: 200 }));
    const replay = await open.server.inject({
      method: 'POST',
      url: `${url}/${deliveryId}/replay`,
      headers: auth,
    });
    expect(replay.statusCode).toBe(202);
    expect(replay.json()).toEqual({ deliveryId, status: 'queued' });
    await waitUntil(() => receiver.requests.length === 2, { what: 'the replayed delivery' });
    expect(receiver.requests[1]?.headers['x-aiqumjobs-event-id']).toBe('r-1:accepted');
    expect((await open.server.inject({ method: 'GET', url, headers: auth })).json()).toMatchObject({
      total: 0,
      deadLetters: [],
    });
    const again = await open.server.inject({
      method: 'POST',
      url: `${url}/${deliveryId}/replay`,
      headers: auth,
    });
    expect(again.statusCode).toBe(404);
    expect(again.json().error.code).toBe('NOT_FOUND');
  });
});

describe('the cap on subscriptions made through the API', () => {
  let capped: Harness;
  beforeAll(async () => {
    capped = await startHarness({ maxSubscriptions: 2 });
  });
  afterAll(() => capped.close());

  const create = () =>
    capped.server.inject({
      method: 'POST',
      url: '/v1/subscriptions',
      headers: auth,
      payload: { url: 'https://93.184.215.14/capped' },
    });

  it('answers 409 SUBSCRIPTION_LIMIT past WEBHOOK_MAX_SUBSCRIPTIONS, even to concurrent creations', async () => {
    const answers = await Promise.all(Array.from({ length: 5 }, create));
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([201, 201, 409, 409, 409]);
    const refused = answers.find((answer) => answer.statusCode === 409);
    expect(refused?.json()).toMatchObject({
      error: { code: 'SUBSCRIPTION_LIMIT', details: { maxSubscriptions: 2 } },
    });
    expect(String(refused?.json().error.message)).toContain('WEBHOOK_MAX_SUBSCRIPTIONS');
    const listed = await capped.server.inject({ method: 'GET', url: '/v1/subscriptions', headers: auth });
    expect(listed.json().subscriptions).toHaveLength(2);

    // Deleting one makes room for one.
    const [first] = listed.json().subscriptions;
    const deleted = await capped.server.inject({
      method: 'DELETE',
      url: `/v1/subscriptions/${first.id}`,
      headers: auth,
    });
    expect(deleted.statusCode).toBe(204);
    expect((await create()).statusCode).toBe(201);
    expect((await create()).statusCode).toBe(409);
  });
});
