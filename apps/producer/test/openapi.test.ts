import { createLogger, eventSchema, type StoredRequest } from '@aiqum-jobs/contracts';
import { createMetricsRegistry, Secret } from '@aiqum-jobs/core';
import { startHttpReceiver, waitUntil } from '@aiqum-jobs/test-support';
import { DeliveryFanOut, loadWebhookConfig, startDeliveryWorker } from '@aiqum-jobs/webhooks';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProducerServer, type ProducerServer } from '../src/index.js';
import type { OpenApiDocument } from '../src/openapi-document.js';
import { createProducerMetrics } from '../src/producer-metrics.js';
import { readSseStream } from '../src/sse.js';
import { type Harness, labLun, startHarness, testToken } from './harness.js';

let h: Harness;
let baseUrl: string;
let document: OpenApiDocument;

beforeAll(async () => {
  h = await startHarness({
    // Loopback opened for the receiver of the dead-letter test.
    urlPolicy: { allowPrivate: false, allowedNetworks: ['127.0.0.1'] },
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
  baseUrl = await h.server.listen({ host: '127.0.0.1', port: 0 });
  const response = await fetch(`${baseUrl}/openapi.json`);
  expect(response.status).toBe(200);
  document = (await response.json()) as OpenApiDocument;
});
afterAll(() => h.close());

type Method = 'get' | 'post' | 'delete';

async function call(
  method: Method,
  path: string,
  options: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== null) headers.authorization = `Bearer ${options.token ?? testToken}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, {
    method: method.toUpperCase(),
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as unknown };
}

/** Fastify's routes as `METHOD /url`, read from its own route tree (HEAD routes left out). */
function registeredRoutes(server: ProducerServer): string[] {
  const routes: string[] = [];
  const prefixes: string[] = [];
  for (const line of server.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ]*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? '').length / 4;
    prefixes.length = depth;
    const url = [...prefixes, match[2]].join('');
    prefixes.push(match[2] ?? '');
    for (const method of (match[3] ?? '').split(', ')) {
      if (method !== '' && method !== 'HEAD') routes.push(`${method} ${url}`);
    }
  }
  return routes;
}

function documentedRoutes(): string[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
  );
}

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document to an independent validator', async () => {
    const validator = new Validator();
    // A copy: the validator keeps what it is given and resolves references in it.
    const result = await validator.validate(JSON.parse(JSON.stringify(document)) as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('describes every route the server serves, and no other', () => {
    // The docs page's files and the dashboard's pages, files, login and bull-board are not operations.
    const served = registeredRoutes(h.server).filter(
      (route) => !route.includes(' /docs/') && !route.includes(' /dashboard/'),
    );
    expect(served).toContain('POST /v1/requests/:id/poll');
    expect(served).toContain('GET /docs');
    expect(served).toContain('GET /dashboard');
    expect(served).toContain('GET /v1/batches');
    expect(new Set(documentedRoutes())).toEqual(new Set(served));
  });

  it('is served without a token, like the probes, while the API needs one', async () => {
    expect((await call('get', '/openapi.json', { token: null })).status).toBe(200);
    expect((await call('get', '/v1/batches/nope', { token: null })).status).toBe(401);
    expect(document.paths['/healthz']?.get?.security).toEqual([]);
    expect(document.paths['/docs']?.get?.security).toEqual([]);
    expect(document.paths['/v1/requests/{id}']?.get?.security).toBeUndefined();
    expect(document.security).toEqual([{ bearerAuth: [] }]);
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('names the events and the error shape as components', () => {
    const schemas = document.components.schemas;
    for (const name of [
      'Event',
      'RequestAcceptedEvent',
      'RequestCompletedEvent',
      'BatchCompletedEvent',
      'Error',
    ]) {
      expect(schemas[name], name).toBeDefined();
    }
    const stream = document.paths['/v1/events']?.get?.responses['200']?.content?.['text/event-stream'];
    expect(stream?.schema).toEqual({ $ref: '#/components/schemas/EventStreamMessage' });
    const submit = document.paths['/v1/requests']?.post;
    expect(submit?.parameters?.map((parameter) => [parameter.in, parameter.name])).toEqual([
      ['header', 'Idempotency-Key'],
    ]);
    expect(Object.keys(submit?.responses ?? {})).toEqual([
      '202',
      '400',
      '401',
      '403',
      '409',
      '413',
      '415',
      '429',
      '500',
      '503',
    ]);
    expect(submit?.responses['429']?.headers?.['Retry-After']).toBeDefined();
    expect(Object.keys(document.paths['/healthz']?.get?.responses ?? {})).not.toContain('429');
  });
});

describe('a route outside the table', () => {
  it('fails the server, whether registered directly or by a plugin', async () => {
    const registry = createMetricsRegistry();
    const options = {
      producer: h.producer,
      webhooks: h.webhooks,
      logger: h.server.log,
      apiTokens: [],
      registry,
      metrics: createProducerMetrics(registry, []),
    };
    const direct = buildProducerServer(options);
    expect(() => direct.get('/v1/undescribed', async () => ({}))).toThrow(
      /GET \/v1\/undescribed is not in apiRoutes/,
    );
    await direct.close();

    const viaPlugin = buildProducerServer(options);
    viaPlugin.register(async (child) => {
      child.delete('/v1/batches/:id', async () => ({}));
    });
    await expect(viaPlugin.ready()).rejects.toThrow(/DELETE \/v1\/batches\/:id is not in apiRoutes/);
  });
});

describe('what the API answers matches the document', () => {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  // OpenAPI's own keywords beside JSON Schema's; the schemas never use them, the document root does.
  for (const keyword of ['openapi', 'info', 'tags', 'security', 'paths', 'components'])
    ajv.addKeyword(keyword);
  addFormats.default(ajv);
  const documentId = 'https://aiqum-jobs.invalid/openapi.json';
  const validators = new Map<string, ReturnType<typeof ajv.compile>>();

  function validatorOf(schemaRef: string) {
    let validate = validators.get(schemaRef);
    if (validate === undefined) {
      if (ajv.getSchema(documentId) === undefined) ajv.addSchema({ ...document, $id: documentId });
      validate = ajv.compile({ $ref: `${documentId}${schemaRef}` });
      validators.set(schemaRef, validate);
    }
    return validate;
  }

  /** Checks an answer against the document's schema for its route, status and media type. */
  function expectDocumented(
    route: string,
    answer: { status: number; headers: Headers; body: unknown },
    mediaType = 'application/json',
  ): void {
    const [method = '', path = ''] = route.split(' ');
    const operation = document.paths[path]?.[method.toLowerCase() as Method];
    const response = operation?.responses[String(answer.status)];
    expect(response, `${route} ${answer.status} is documented`).toBeDefined();
    expect(answer.headers.get('content-type')).toContain(mediaType);
    const ref = response?.content?.[mediaType]?.schema?.$ref ?? '';
    const validate = validatorOf(ref);
    expect(validate(answer.body), `${route} ${answer.status}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  }

  function expectValidBody(route: string, body: unknown): void {
    const [method = '', path = ''] = route.split(' ');
    const ref =
      document.paths[path]?.[method.toLowerCase() as Method]?.requestBody?.content['application/json']?.schema
        ?.$ref;
    const validate = validatorOf(ref ?? '');
    expect(validate(body), `${route} body: ${ajv.errorsText(validate.errors)}`).toBe(true);
  }

  it('compiles every component schema in strict mode, and rejects what the schemas forbid', () => {
    for (const name of Object.keys(document.components.schemas)) {
      expect(() => validatorOf(`#/components/schemas/${name}`), name).not.toThrow();
    }
    const validate = validatorOf('#/components/schemas/SubmitAnswer');
    expect(validate({ requestId: 'r', status: 'queued', links: {} })).toBe(true);
    expect(validate({ requestId: 'r', status: 'queued', links: {}, extra: 1 })).toBe(false);
    expect(validate({ requestId: 'r', status: 'done', links: {} })).toBe(false);
  });

  it('for submissions, reads, cancels, polls, errors and probes', async () => {
    const single = { ...labLun, metadata: { ticket: 'CHG-1' } };
    expectValidBody('POST /v1/requests', single);
    const submitted = await call('post', '/v1/requests', {
      body: single,
      headers: { 'idempotency-key': 'oa-1' },
    });
    expectDocumented('POST /v1/requests', submitted);
    const requestId = (submitted.body as { requestId: string }).requestId;

    const batch = {
      requests: [labLun, { target: 'prod', method: 'GET', path: '/api/datacenter/svm/svms?name=vs1' }],
      metadata: { change: 'CHG-2' },
    };
    expectValidBody('POST /v1/batches', batch);
    const batchAnswer = await call('post', '/v1/batches', { body: batch });
    expectDocumented('POST /v1/batches', batchAnswer);
    const { batchId, requestIds } = batchAnswer.body as { batchId: string; requestIds: [string, string] };

    // Drive the batch to its end as a worker would: one request tracked then succeeded, one failed.
    const [tracked, rejected] = await Promise.all(requestIds.map((id) => h.store.records.get(id)));
    if (tracked === undefined || rejected === undefined) throw new Error('batch requests not stored');
    const job = await track(tracked);
    expectDocumented(
      'POST /v1/requests/{id}/poll',
      await call('post', `/v1/requests/${tracked.requestId}/poll`),
    );
    expectDocumented('GET /v1/batches/{id}', await call('get', `/v1/batches/${batchId}`));
    await h.store.completion.complete(
      tracked,
      { job, dialect: 'docs', submittedAt: Date.now() },
      {
        outcome: 'succeeded',
        jobState: {
          phase: 'terminal',
          state: 'COMPLETED',
          status: 'NORMAL',
          outcome: 'NORMAL',
          message: 'done',
        },
        jobResults: [{ name: 'lunKey', value: 'abc:type=lun,uuid=1' }],
      },
    );
    await h.store.completion.complete(
      rejected,
      {},
      {
        outcome: 'failed',
        error: {
          code: 'AIQUM_BAD_REQUEST',
          message: 'no such SVM',
          httpStatus: 400,
          aiqumCode: 7,
          aiqumTarget: 'svm.name',
        },
      },
    );

    for (const id of [requestId, tracked.requestId, rejected.requestId]) {
      expectDocumented('GET /v1/requests/{id}', await call('get', `/v1/requests/${id}`));
    }
    const done = await call('get', `/v1/batches/${batchId}`);
    expect(done.body).toMatchObject({ done: true });
    expectDocumented('GET /v1/batches/{id}', done);
    expectDocumented(
      'GET /v1/batches/{id}/requests',
      await call('get', `/v1/batches/${batchId}/requests?limit=1`),
    );

    expectDocumented('DELETE /v1/requests/{id}', await call('delete', `/v1/requests/${requestId}`));
    const errors = [
      ['DELETE /v1/requests/{id}', await call('delete', `/v1/requests/${requestId}`), 409],
      ['POST /v1/requests/{id}/poll', await call('post', `/v1/requests/${requestId}/poll`), 409],
      ['GET /v1/requests/{id}', await call('get', '/v1/requests/nope'), 404],
      ['GET /v1/batches/{id}/requests', await call('get', `/v1/batches/${batchId}/requests?limit=0`), 400],
      [
        'POST /v1/requests',
        await call('post', '/v1/requests', { body: { ...labLun, path: '/api/../x' } }),
        400,
      ],
      [
        'POST /v1/batches',
        await call('post', '/v1/batches', { body: batch, token: 'wrong-token-0123456789' }),
        401,
      ],
    ] as const;
    for (const [route, answer, status] of errors) {
      expect(answer.status, route).toBe(status);
      expectDocumented(route, answer);
    }

    expectDocumented('GET /healthz', await call('get', '/healthz', { token: null }));
    expectDocumented('GET /readyz', await call('get', '/readyz', { token: null }));
  });

  it('for subscriptions and their dead letters', async () => {
    const receiver = await startHttpReceiver(() => ({ status: 410 }));
    const worker = await startDeliveryWorker({
      redis: h.testRedis.connect(),
      prefix: h.testRedis.prefix,
      retentionSeconds: 3_600,
      config: loadWebhookConfig({ WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1' }),
      logger: createLogger({ name: 'openapi-test', level: 'silent' }),
    });
    try {
      const input = { url: `${receiver.url}/hook`, types: ['request.completed'], batchId: 'oa-batch' };
      expectValidBody('POST /v1/subscriptions', input);
      const created = await call('post', '/v1/subscriptions', { body: input });
      expectDocumented('POST /v1/subscriptions', created);
      const { id } = created.body as { id: string };
      expectDocumented('GET /v1/subscriptions', await call('get', '/v1/subscriptions'));
      for (const subscriptionId of [id, 'from-file']) {
        expectDocumented(
          'GET /v1/subscriptions/{id}',
          await call('get', `/v1/subscriptions/${subscriptionId}`),
        );
      }

      // A delivery the receiver refuses for good becomes a dead letter; then it is replayed.
      const fanOut = new DeliveryFanOut({
        subscriptions: h.webhooks.subscriptions,
        queue: h.deliveryQueue,
        maxAttempts: 3,
        retentionSeconds: 3_600,
      });
      const at = new Date().toISOString();
      const [deliveryId] = await fanOut.enqueueDeliveries(
        eventSchema.parse({
          id: 'oa-r1:completed',
          type: 'request.completed',
          occurredAt: at,
          requestId: 'oa-r1',
          batchId: 'oa-batch',
          target: 'lab',
          method: 'POST',
          path: '/api/storage-provider/luns',
          outcome: 'failed',
          error: { code: 'AIQUM_BAD_REQUEST', message: 'no such SVM', httpStatus: 400 },
          jobResults: [],
          createdAt: at,
          finishedAt: at,
          polls: 0,
        }),
      );
      const deadLetters = `/v1/subscriptions/${id}/dead-letters`;
      const listed = await waitUntil(
        async () => {
          const answer = await call('get', deadLetters);
          return (answer.body as { total: number }).total === 1 && answer;
        },
        { what: 'a dead letter' },
      );
      expectDocumented('GET /v1/subscriptions/{id}/dead-letters', listed);
      receiver.respondWith(() => ({}));
      const replay = 'POST /v1/subscriptions/{id}/dead-letters/{deliveryId}/replay';
      expectDocumented(replay, await call('post', `${deadLetters}/${deliveryId}/replay`));

      const errors = [
        [
          'POST /v1/subscriptions',
          await call('post', '/v1/subscriptions', { body: { url: 'http://10.1.2.3/' } }),
          400,
        ],
        ['GET /v1/subscriptions/{id}', await call('get', '/v1/subscriptions/nope'), 404],
        ['DELETE /v1/subscriptions/{id}', await call('delete', '/v1/subscriptions/from-file'), 409],
        ['GET /v1/subscriptions/{id}/dead-letters', await call('get', `${deadLetters}?offset=-1`), 400],
        [replay, await call('post', `${deadLetters}/${id}:nope:completed/replay`), 404],
      ] as const;
      for (const [route, answer, status] of errors) {
        expect(answer.status, route).toBe(status);
        expectDocumented(route, answer);
      }

      const deleted = await fetch(`${baseUrl}/v1/subscriptions/${id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${testToken}` },
      });
      expect(deleted.status).toBe(204);
      expect(await deleted.text()).toBe('');
      const documented = document.paths['/v1/subscriptions/{id}']?.delete?.responses['204'];
      expect(documented).toBeDefined();
      expect(documented?.content).toBeUndefined();
    } finally {
      await worker.close();
      await receiver.close();
    }
  });

  it('for the event stream: every message of a batch, with its data parsed', async () => {
    const answer = await h.producer.submitBatch({
      requests: [labLun, { ...labLun, body: { name: 'lun2' } }],
    });
    const [first, second] = await Promise.all(answer.requestIds.map((id) => h.store.records.get(id)));
    if (first === undefined || second === undefined) throw new Error('batch requests not stored');
    const job = await track(first);
    await h.store.completion.complete(
      first,
      { job, dialect: 'spec' },
      { outcome: 'warning', jobResults: [] },
    );
    await h.store.completion.complete(
      second,
      {},
      { outcome: 'unknown', response: { records: [{ key: 1 }], ok: null } },
    );

    const controller = new AbortController();
    const response = await fetch(`${baseUrl}/v1/events?after=0&batchId=${answer.batchId}`, {
      headers: { authorization: `Bearer ${testToken}` },
      signal: controller.signal,
    });
    const types: string[] = [];
    for await (const message of readSseStream(response.body ?? new ReadableStream())) {
      const parsed = { ...message, data: JSON.parse(message.data) as unknown };
      expectDocumented(
        'GET /v1/events',
        { status: response.status, headers: response.headers, body: parsed },
        'text/event-stream',
      );
      types.push(message.event ?? '');
      if (message.event === 'batch.completed') break;
    }
    controller.abort();
    expect(types).toEqual(['request.accepted', 'request.completed', 'request.completed', 'batch.completed']);
  });
});

/** Does what a worker does when AIQUM accepts the call: the request is tracked, its job known. */
async function track(view: StoredRequest) {
  const token = `oa-worker-${view.requestId}`;
  await h.store.submissions.begin(view.requestId, {
    target: view.target,
    limits: { maxConcurrent: 100, maxPerSecond: 1_000 },
    leaseId: token,
    token,
    claimLeaseMs: 60_000,
    allowResubmit: false,
    submitLeaseMs: 60_000,
  });
  const job = {
    kind: 'aiqum' as const,
    key: `k:${view.requestId}`,
    href: '/api/management-server/jobs/k',
    source: 'job.key' as const,
  };
  const firstPoll = { delayMs: 60_000, deadlineAt: view.deadlineAt };
  expect(await h.store.submissions.acceptJob(view, job, token, undefined, firstPoll)).toBe('tracking');
  return job;
}

describe('GET /docs', () => {
  it('serves a page whose scripts, styles and document are all served here, without a token', async () => {
    const page = await fetch(`${baseUrl}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] ?? '');
    expect(assets).toEqual(expect.arrayContaining([expect.stringMatching(/swagger-ui-bundle\.js$/)]));
    expect(assets.length).toBeGreaterThanOrEqual(4);
    for (const asset of assets) {
      const response = await fetch(new URL(asset, `${baseUrl}/docs`));
      expect(response.status, asset).toBe(200);
      expect((await response.arrayBuffer()).byteLength, asset).toBeGreaterThan(0);
    }

    // The page loads the document from ./json, next to itself, and asks no validator elsewhere.
    const initializer = await (await fetch(`${baseUrl}/docs/static/swagger-initializer.js`)).text();
    expect(initializer).toContain("resolveUrl('./json')");
    expect(initializer).toContain('validatorUrl: null');
    const served = await fetch(`${baseUrl}/docs/json`);
    expect(served.status).toBe(200);
    expect(await served.json()).toEqual(document);
  });
});
