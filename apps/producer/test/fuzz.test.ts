import { parseApiPath } from '@aiqum-jobs/aiqum-client';
import {
  batchInputSchema,
  isoTime,
  type ParsedRequestInput,
  type RequestSpec,
  requestInputSchema,
} from '@aiqum-jobs/contracts';
import { useTestRedis } from '@aiqum-jobs/test-support';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { type Harness, labLun, startHarness, testToken, twoTargets } from './harness.js';

/**
 * Property-based fuzzing of the HTTP API through Fastify's `inject` against a real Redis. Whatever comes
 * in, the answer is 2xx or 4xx, one the input allows (400 for what the schemas refuse, 401 without the
 * token, 415 for bodies that are not JSON), and only a 202 to a submission changes what is stored: a
 * rejected input leaves the queue, the event stream and every key as they were, and an accepted one is
 * stored exactly as the schema validated it.
 */

// At least 10,000 generated inputs in all, split across the properties below.
const runs = { values: 2_500, mutated: 3_000, batches: 1_500, raw: 1_500, routes: 1_500 };

const auth = { authorization: `Bearer ${testToken}` };

let h: Harness;
let inspector: Redis;
let baseline: Footprint;
const statuses: Record<string, number> = {};
let inputs = 0;
let accepted = 0;

beforeAll(async () => {
  // A Redis of this file's own: DBSIZE counts exactly the keys the inputs left, in one cheap command.
  h = await startHarness({ testRedis: await useTestRedis({ ownServer: true }) });
  inspector = h.testRedis.connect();
  baseline = await footprint();
});
afterAll(async () => {
  console.info(
    `producer fuzzing: ${JSON.stringify({ inputs, accepted, rejected: inputs - accepted, statuses })}`,
  );
  await h.close();
});

interface Footprint {
  jobs: number;
  events: number;
  keys: number;
}

/** Queue jobs, the event stream, and every key in this file's Redis (records, batches, idempotency). */
async function footprint(): Promise<Footprint> {
  const [counts, events, keys] = await Promise.all([
    h.queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized', 'completed', 'failed'),
    inspector.xlen(h.keys.events),
    inspector.dbsize(),
  ]);
  return { jobs: Object.values(counts).reduce((sum, count) => sum + count, 0), events, keys };
}

interface Sent {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';
  url: string;
  headers?: Record<string, string>;
  /** Sent as is; `json` is serialised first, as a client would. */
  payload?: string;
  json?: unknown;
}

/**
 * Sends one input and checks the invariants: never 5xx, and one of `allowed` when given; a 202 to a
 * submission stored exactly the validated input; anything else stored nothing.
 */
async function check(sent: Sent, allowed?: readonly number[]): Promise<void> {
  const payload = sent.json === undefined ? sent.payload : JSON.stringify(sent.json);
  const headers = { ...sent.headers };
  if (sent.json !== undefined) headers['content-type'] ??= 'application/json';
  const response = await h.server.inject({
    method: sent.method,
    url: sent.url,
    headers,
    ...(payload === undefined ? {} : { payload }),
  });
  inputs += 1;
  statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
  expect(response.statusCode, response.body).toBeGreaterThanOrEqual(200);
  expect(response.statusCode, response.body).toBeLessThan(500);
  if (allowed !== undefined) expect(allowed, response.body).toContain(response.statusCode);
  if (response.statusCode >= 400 && sent.method !== 'HEAD') {
    expect(response.json().error.code).toEqual(expect.any(String));
  }

  const submission = sent.method === 'POST' && (sent.url === '/v1/requests' || sent.url === '/v1/batches');
  if (submission && response.statusCode === 202) {
    accepted += 1;
    // What the server received is the JSON text; the schema's output for it is what must be stored.
    const received: unknown = JSON.parse(payload ?? '');
    if (sent.url === '/v1/requests') {
      await expectStored(response.json().requestId, requestInputSchema.parse(received), undefined);
    } else {
      const batch = batchInputSchema.parse(received);
      const answer = response.json();
      expect(answer.requestIds).toHaveLength(batch.requests.length);
      for (const [index, requestId] of (answer.requestIds as string[]).entries()) {
        const input = batch.requests[index];
        if (input === undefined) throw new Error(`no input ${index}`);
        await expectStored(requestId, input, answer.batchId);
      }
    }
    baseline = await footprint();
    return;
  }
  expect(await footprint()).toEqual(baseline);
}

async function expectStored(requestId: string, input: ParsedRequestInput, batchId: string | undefined) {
  const job = await h.queue.getJob(requestId);
  const spec = job?.data as RequestSpec | undefined;
  if (spec === undefined) throw new Error(`request ${requestId} was not queued`);
  const target = input.target ?? '';
  const deadlineSeconds = input.deadlineSeconds ?? twoTargets.get(target)?.defaultDeadlineSeconds ?? -1;
  const expected: RequestSpec = {
    requestId,
    target,
    method: input.method,
    path: input.path,
    createdAt: spec.createdAt,
    deadlineAt: spec.createdAt + deadlineSeconds * 1_000,
    retryAmbiguous: input.retryAmbiguous,
    // The harness's token, unnamed as in PRODUCER_API_TOKENS.
    submittedBy: 'token-1',
  };
  if (batchId !== undefined) expected.batchId = batchId;
  if (input.body !== undefined) expected.body = input.body;
  if (input.object !== undefined) expected.object = input.object;
  if (input.poll !== undefined) expected.poll = input.poll;
  if (input.metadata !== undefined) expected.metadata = input.metadata;
  expect(spec).toEqual(expected);
  // A path that was accepted is one the AIQUM client sends byte for byte: visible ASCII, inside /api/.
  expect(parseApiPath(spec.path)).toBe(spec.path);
  expect(spec.path).toMatch(/^\/api\/[\x21-\x7e]+$/);
  expect(escapesApi(spec.path), spec.path).toBe(false);
  const { body: _body, ...viewed } = expected;
  // Views show the times in ISO 8601, as the events do.
  expect(await h.producer.get(requestId)).toMatchObject({
    ...viewed,
    createdAt: isoTime(viewed.createdAt),
    deadlineAt: isoTime(viewed.deadlineAt),
    status: 'queued',
  });
}

/**
 * Whether a server could read a segment of `path` as a step up or aside (a Java `;` parameter, `.`/`..`
 * however encoded, an encoded slash), decoding as often as it lets itself be decoded: the test's own view,
 * independent of `parseApiPath`.
 */
function escapesApi(path: string): boolean {
  const pathPart = path.split('?')[0] ?? '';
  return pathPart.split('/').some((segment) => {
    let decoded = segment;
    for (let round = 0; round < 4; round += 1) {
      if (/[;/\\]/.test(decoded) || /^[\s.]+$/.test(decoded)) return true;
      try {
        decoded = decodeURIComponent(decoded).normalize('NFKC');
      } catch {
        return round === 0 && /%c[01]/i.test(decoded);
      }
    }
    return false;
  });
}

/** Paths that escape `/api/` on Java servers and elsewhere; every one is a 400 that stores nothing. */
const escapingPaths = [
  '/api/..;/admin',
  '/api/.;/luns',
  '/api/luns;x=1/../admin',
  '/api/..%3b/admin',
  '/api/%2e%2e/admin',
  '/api/%2E%2E/admin',
  '/api/%2e./admin',
  '/api/.%2E/admin',
  '/api/%2e/luns',
  '/api/%252e%252e/admin',
  '/api/luns%2f..%2fadmin',
  '/api/luns%252f..%252fadmin',
  '/api/luns\\..\\admin',
  '/api/luns%5c..%5cadmin',
  '/api/%c0%ae%c0%ae/admin',
  '/api/%ef%bc%8e%ef%bc%8e/admin',
  '/api/.../admin',
  '/api/..%20/admin',
];

// ---- the answers an input allows -----------------------------------------------------------------------

const schemaOf = (url: string): z.ZodType => (url === '/v1/batches' ? batchInputSchema : requestInputSchema);

/**
 * 400 for a JSON text the schema refuses (or that is no JSON); 202 or 400 for one it takes, whose target
 * or Idempotency-Key may still be refused.
 */
function jsonAllows(schema: z.ZodType, text: string): readonly number[] {
  try {
    // Fastify's JSON parser drops a byte order mark.
    return schema.safeParse(JSON.parse(text.replace(/^\ufeff/, ''))).success ? [202, 400] : [400];
  } catch {
    // No JSON, or nested too deep for the schema's recursion (the API refuses such nesting).
    return [400];
  }
}

/**
 * A raw body: a JSON media type is parsed as JSON; text/plain, and no type without a body, reach the
 * schema as no object (400); any other type is refused unread (415).
 */
function rawAllows(url: string, payload: string, contentType: string | null): readonly number[] {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'application/json') return jsonAllows(schemaOf(url), payload);
  if (mediaType === 'text/plain' || (mediaType === undefined && payload === '')) return [400];
  return [415];
}

const acceptsToken = (header: string | null): boolean =>
  /^Bearer (\S+)$/i.exec(header ?? '')?.[1] === testToken;

// ---- generators ---------------------------------------------------------------------------------------

/** Pieces that break parsers, paths and logs: controls, lone surrogates, RTL marks, emoji, encodings. */
const oddPiece = fc.constantFrom(
  '\u0000',
  '\u0007',
  '\r\n',
  '\n',
  '\t',
  ' ',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\ud800',
  '\udfff',
  '\u202e',
  '\u200f',
  '\u2028',
  '\ufeff',
  '\u{1f600}',
  '\u{1f468}\u200d\u{1f469}\u200d\u{1f467}',
  'é',
  'ß',
  '中',
  '..',
  '.',
  '/',
  '//',
  '\\',
  '%',
  '%2e%2e',
  '%2E%2e/',
  '%2f',
  '%2F',
  '%5c',
  '%00',
  '%0d%0a',
  '%zz',
  '%252e',
  ';',
  '..;',
  '.;',
  '%3b',
  '%3B',
  '%2e',
  '%2E',
  '.%2E',
  '%252e%252e',
  '%252f',
  '%c0%ae',
  '%ef%bc%8e',
  '...',
  '..%20',
  '?',
  '#',
  '&',
  '=',
  '*',
  '|',
  'http://evil.example',
  '//evil.example',
  'javascript:',
  '__proto__',
  'constructor',
  'api',
  'luns',
  'x'.repeat(300),
);
const oddString = fc.oneof(
  fc.array(oddPiece, { maxLength: 6 }).map((pieces) => pieces.join('')),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);

const apiPath = fc.oneof(
  fc.constantFrom(
    '/api/storage-provider/luns',
    '/api/v2/storage-provider/file-shares',
    '/api/datacenter/svm/svms?name=vs1|vs2&cluster.name=c*',
    '/api/management-server/jobs/06a6148b%3A-2611%3A16e8',
    `/api/storage-provider/luns?name=${encodeURIComponent('lun_é_中')}`,
  ),
  fc.array(oddPiece, { maxLength: 5 }).map((pieces) => `/api/${pieces.join('')}`),
  fc.array(fc.oneof(oddPiece, fc.string({ maxLength: 8 })), { maxLength: 6 }).map((p) => p.join('/')),
  fc.nat({ max: 9_000 }).map((length) => `/api/${'a'.repeat(length)}`),
);

/** Any JSON, including wide and oddly keyed values (deep ones are text: see `deepText`). */
const anyJson = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(oddString, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }) },
  { weight: 1, arbitrary: oddString },
);

/**
 * A request or batch whose body (or metadata) nests up to 200,000 levels. Kept as text: values that deep
 * overflow the stack of every recursive tool, this test's own included.
 */
const deepText = fc
  .tuple(fc.integer({ min: 30, max: 200_000 }), fc.constantFrom('[', '{"a":'), fc.boolean())
  .map(([depth, open, batch]) => {
    const nested = `${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}`;
    const request = `{"target":"lab","method":"POST","path":"/api/storage-provider/luns","body":${nested}}`;
    return batch ? `{"requests":[${request}],"metadata":${nested}}` : request;
  });

const metadata = fc.dictionary(
  fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/), oddString),
  fc.oneof(fc.string({ maxLength: 40 }), oddString, fc.integer(), fc.boolean(), fc.constant(null)),
  { maxKeys: 4 },
);

/** A reference by name (with qualifiers), by key, or anything else in its place. */
const shortName = fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), oddString);
const reference = fc.oneof(
  fc.record(
    { name: shortName, svm: fc.record({ name: shortName }), cluster: fc.record({ name: shortName }) },
    { requiredKeys: ['name'] },
  ),
  fc.record({ svm: fc.record({ name: shortName }) }),
  fc.record({ key: shortName }),
  anyJson,
);

/** Writes whose bodies and paths may name objects, gateway calls, and `{key}` paths that may not. */
const byNameRequest = fc.record(
  {
    target: fc.constantFrom('lab', 'prod'),
    method: fc.constantFrom('POST', 'PATCH', 'DELETE'),
    path: fc.constantFrom(
      '/api/storage-provider/luns',
      '/api/v2/storage-provider/file-shares',
      '/api/storage-provider/luns/{key}',
      '/api/storage-provider/performance-service-levels/{key}?x=1',
      '/api/management-server/jobs/{key}',
      '/api/gateways/4ea7a442-86d1-11e0-ae1c-123478563412/storage/luns',
    ),
    body: fc.record(
      {
        svm: reference,
        volume: reference,
        performance_service_level: reference,
        lun_maps: fc.oneof(fc.array(fc.record({ igroup: reference }), { maxLength: 3 }), anyJson),
        access_control: fc.record(
          { export_policy: reference, active_directory_mapping: reference },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    ),
    object: reference,
  },
  { requiredKeys: ['target', 'method', 'path'] },
);

const validRequest = fc.oneof(
  byNameRequest,
  fc.record(
    {
      target: fc.constantFrom('lab', 'prod'),
      method: fc.constantFrom('POST', 'PATCH', 'PUT', 'DELETE'),
      path: apiPath,
      body: fc.jsonValue({ maxDepth: 3 }),
      deadlineSeconds: fc.integer({ min: 1, max: 30 * 24 * 3_600 }),
      retryAmbiguous: fc.boolean(),
      metadata,
      poll: fc.record(
        {
          initialDelayMs: fc.integer({ min: 50, max: 600_000 }),
          multiplier: fc.double({ min: 1, max: 10, noNaN: true }),
          jitter: fc.double({ min: 0, max: 1, noNaN: true }),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: ['target', 'method', 'path'] },
  ),
  fc.record(
    { target: fc.constantFrom('lab', 'prod'), method: fc.constant('GET'), path: apiPath },
    { requiredKeys: ['target', 'method', 'path'] },
  ),
);

const fields = [
  'target',
  'method',
  'path',
  'body',
  'object',
  'deadlineSeconds',
  'retryAmbiguous',
  'metadata',
  'poll',
];
const wrongValue = fc.oneof(
  anyJson,
  oddString,
  fc.constantFrom(
    null,
    true,
    0,
    -1,
    1e308,
    -0,
    2 ** 53,
    0.5,
    '',
    [],
    {},
    'GET',
    'TRACE',
    'post',
    'elsewhere',
    'LAB',
    '../lab',
    'lab\u0000',
  ),
);

/** A valid request with one field replaced, removed or added. */
const mutatedRequest = fc.oneof(
  { weight: 1, arbitrary: validRequest },
  {
    weight: 3,
    arbitrary: fc
      .tuple(validRequest, fc.constantFrom(...fields), wrongValue)
      .map(([request, field, value]) => ({ ...request, [field]: value })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(validRequest, fc.constantFrom(...fields)).map(([request, field]) => {
      const { [field]: _removed, ...rest } = request as Record<string, unknown>;
      return rest;
    }),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(validRequest, oddString, anyJson)
      .map(([request, key, value]) => ({ ...request, [key]: value })),
  },
);

const contentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'application/xml',
  'application/jsonx',
  '*/*',
  'json',
);

const httpMethods = fc.constantFrom<Sent['method']>(
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'HEAD',
  'OPTIONS',
);

/** URLs near and far from the routes; never /v1/events, whose answer is an endless stream. */
const segment = fc.oneof(
  fc.constantFrom('v1', 'requests', 'batches', 'poll', 'healthz', 'readyz', 'v2', '', '..', '.', '%2e%2e'),
  fc.constantFrom('%00', '%2f', '%5c', '%ED%A0%80', '%E2%80%AE', '%F0%9F%98%80', 'a:b', '*', '~'),
  fc.string({ unit: 'grapheme-ascii', maxLength: 12 }).map((text) => encodeURIComponent(text)),
  fc.string({ unit: 'grapheme', maxLength: 6 }).map((text) => encodeURIComponent(text)),
  fc.nat({ max: 400 }).map((length) => 'i'.repeat(length)),
);
const randomUrl = fc
  .tuple(fc.array(segment, { maxLength: 5 }), fc.option(fc.string({ unit: 'grapheme-ascii', maxLength: 20 })))
  .map(
    ([segments, query]) => `/${segments.join('/')}${query === null ? '' : `?${encodeURIComponent(query)}`}`,
  )
  .filter((url) => !/events/i.test(url));

const visibleAscii = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
});
const authorization = fc.oneof(
  fc.constant(`Bearer ${testToken}`),
  fc.constant(`bearer ${testToken}`),
  fc.constant(`Bearer ${testToken.slice(0, -1)}X`),
  fc.constant(`Bearer ${testToken}x`),
  fc.constant(`Basic ${Buffer.from(`admin:${testToken}`).toString('base64')}`),
  visibleAscii.map((token) => `Bearer ${token}`),
  visibleAscii,
);

describe('huge inputs', () => {
  it('answers 413 above the body limit, 400 to a body over 256 KB, to an empty batch, to one over 10,000 and to wide metadata', async () => {
    const acceptedBefore = accepted;
    await check(
      {
        method: 'POST',
        url: '/v1/requests',
        headers: auth,
        json: { ...labLun, body: 'x'.repeat(8 * 1024 * 1024) },
      },
      [413],
    );
    await check(
      {
        method: 'POST',
        url: '/v1/requests',
        headers: auth,
        json: { ...labLun, body: 'x'.repeat(256 * 1024) },
      },
      [400],
    );
    await check(
      { method: 'POST', url: '/v1/batches', headers: auth, json: { requests: Array(10_001).fill(labLun) } },
      [400],
    );
    await check({ method: 'POST', url: '/v1/batches', headers: auth, json: { requests: [] } }, [400]);
    const wide = Object.fromEntries(Array.from({ length: 50_000 }, (_, index) => [`k${index}`, index]));
    await check(
      { method: 'POST', url: '/v1/batches', headers: auth, json: { requests: [labLun], metadata: wide } },
      [400],
    );
    expect(accepted).toBe(acceptedBefore);
  });
});

describe('paths that escape /api/', () => {
  it.each(escapingPaths)('refuses %s with 400 and stores nothing', async (path) => {
    expect(escapesApi(path)).toBe(true);
    await check({ method: 'POST', url: '/v1/requests', headers: auth, json: { ...labLun, path } }, [400]);
  });
});

// ---- properties ---------------------------------------------------------------------------------------

// A property runs its thousands of inputs whatever they take: a busy machine must not cut it short.
describe('fuzzing the producer API: never 5xx, 400 for what the schemas refuse, nothing invalid enqueued', {
  timeout: 180_000,
}, () => {
  it(`takes any JSON value as a request or batch body (${runs.values} inputs)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/v1/requests', '/v1/batches'), anyJson, (url, json) =>
        check({ method: 'POST', url, headers: auth, json }, jsonAllows(schemaOf(url), JSON.stringify(json))),
      ),
      { numRuns: runs.values },
    );
  });

  it(`takes valid requests with one field wrong, missing or added (${runs.mutated} inputs)`, async () => {
    await fc.assert(
      fc.asyncProperty(mutatedRequest, (json) =>
        check(
          { method: 'POST', url: '/v1/requests', headers: auth, json },
          jsonAllows(requestInputSchema, JSON.stringify(json)),
        ),
      ),
      { numRuns: runs.mutated },
    );
  });

  it(`takes batches of such requests, with metadata of any shape (${runs.batches} inputs)`, async () => {
    const batch = fc.oneof(
      fc.record({ requests: fc.array(mutatedRequest, { maxLength: 5 }) }),
      fc.record({ requests: fc.array(validRequest, { minLength: 1, maxLength: 5 }), metadata }),
      fc.record({ requests: fc.array(validRequest, { minLength: 1, maxLength: 3 }), metadata: wrongValue }),
      fc
        .tuple(fc.array(validRequest, { minLength: 1, maxLength: 3 }), oddString, anyJson)
        .map(([requests, key, value]) => ({ requests, [key]: value })),
    );
    await fc.assert(
      fc.asyncProperty(batch, (json) =>
        check(
          { method: 'POST', url: '/v1/batches', headers: auth, json },
          jsonAllows(batchInputSchema, JSON.stringify(json)),
        ),
      ),
      { numRuns: runs.batches },
    );
  });

  it(`takes raw bodies of any content type and any Idempotency-Key (${runs.raw} inputs)`, async () => {
    const rawBody = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.jsonValue().map((value) => JSON.stringify(value)),
      mutatedRequest.map((value) => JSON.stringify(value).slice(0, -1)),
      fc.constantFrom('', 'null', '{', '}', '[]', '{"__proto__":{"polluted":1}}', '\ufeff{}', 'NaN', '1e999'),
      deepText,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/v1/requests', '/v1/batches'),
        rawBody,
        fc.option(contentTypes),
        fc.option(visibleAscii),
        (url, payload, contentType, idempotencyKey) =>
          check(
            {
              method: 'POST',
              url,
              headers: {
                ...auth,
                ...(contentType === null ? {} : { 'content-type': contentType }),
                ...(idempotencyKey === null ? {} : { 'idempotency-key': idempotencyKey }),
              },
              payload,
            },
            rawAllows(url, payload, contentType),
          ),
      ),
      { numRuns: runs.raw },
    );
  });

  it(`takes random methods, URLs and Authorization headers (${runs.routes} inputs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        httpMethods,
        fc.oneof(randomUrl, fc.constantFrom('/v1/requests', '/v1/batches')),
        fc.option(authorization),
        fc.option(anyJson),
        async (method, url, header, json) => {
          const body = method === 'GET' || method === 'HEAD' || json === null ? {} : { json };
          // The submission routes without the token: 401, whatever the method or body.
          const submission = url === '/v1/requests' || url === '/v1/batches';
          await check(
            { method, url, headers: header === null ? {} : { authorization: header }, ...body },
            submission && !acceptsToken(header) ? [401] : undefined,
          );
        },
      ),
      { numRuns: runs.routes },
    );
  });
});
