import { afterEach, describe, expect, it } from 'vitest';
import {
  AiqumApiError,
  AiqumAuthenticationError,
  AiqumBadRequestError,
  AiqumConflictError,
  AiqumInvalidRequestError,
  AiqumNotFoundError,
  AiqumPermissionDeniedError,
  AiqumRateLimitError,
  AiqumResponseValidationError,
  AiqumServerError,
  jobRefSchema,
} from '../src/index.js';
import { type Harness, harness, origin, rejection } from './helpers.js';

const key = '06a6148bf9e862df:-2611856e:16e8d47e722:-7f87';
const encodedKey = '06a6148bf9e862df%3A-2611856e%3A16e8d47e722%3A-7f87';

let h: Harness;
afterEach(async () => {
  await h.finish();
});

describe('submit: 202 shapes', () => {
  it.each([
    {
      name: 'job.key with link',
      path: '/api/storage-provider/luns',
      body: { job: { key, _links: { self: { href: `/api/management-server/jobs/${encodedKey}` } } } },
      ref: { kind: 'aiqum', key, href: `/api/management-server/jobs/${encodedKey}`, source: 'job.key' },
    },
    {
      name: 'job.key without link, v2 prefix kept, key encoded',
      path: '/api/v2/storage-provider/luns',
      body: { job: { key } },
      ref: { kind: 'aiqum', key, href: `/api/v2/management-server/jobs/${encodedKey}`, source: 'job.key' },
    },
    {
      name: 'job.key with an absolute same-origin link',
      path: '/api/storage-provider/file-shares',
      body: {
        job: { key, _links: { self: { href: `${origin}/api/management-server/jobs/${encodedKey}` } } },
      },
      ref: { kind: 'aiqum', key, href: `/api/management-server/jobs/${encodedKey}`, source: 'job.key' },
    },
    {
      name: 'operationId',
      path: '/api/management-server/admin/datasources/ds%3A1/discover',
      body: { operationId: 'op:42' },
      ref: {
        kind: 'aiqum',
        key: 'op:42',
        href: '/api/management-server/jobs/op%3A42',
        source: 'operationId',
      },
    },
    {
      name: 'job_key',
      path: '/api/v2/storage-provider/luns',
      body: { job_key: 'k:1' },
      ref: { kind: 'aiqum', key: 'k:1', href: '/api/v2/management-server/jobs/k%3A1', source: 'job_key' },
    },
    {
      name: 'ONTAP gateway job.uuid',
      path: '/api/gateways/c1/storage/volumes?return_timeout=10',
      body: { job: { uuid: 'u-1', _links: { self: { href: '/api/gateways/c1/cluster/jobs/u-1' } } } },
      ref: { kind: 'ontap', uuid: 'u-1', href: '/api/gateways/c1/cluster/jobs/u-1', source: 'job.uuid' },
    },
  ])('$name', async ({ path, body, ref }) => {
    h = harness();
    h.pool.intercept({ path, method: 'POST' }).reply(202, body, { headers: { 'x-request-id': 'req-1' } });
    const result = await h.client.submit({ method: 'POST', path, body: { name: 'lun1' } });
    expect(result).toMatchObject({ kind: 'job', status: 202, job: ref, body, requestId: 'req-1' });
    if (result.kind !== 'job') throw new Error('expected a job');
    // Stored in Redis by the worker: must survive JSON and the schema.
    expect(jobRefSchema.parse(JSON.parse(JSON.stringify(result.job)))).toEqual(ref);
  });

  it('sends JSON with Basic auth and merges caller headers', async () => {
    h = harness();
    let seen: { headers: unknown; body: unknown } | undefined;
    h.pool.intercept({ path: '/api/storage-provider/luns', method: 'POST' }).reply((options) => {
      seen = { headers: options.headers, body: options.body };
      return { statusCode: 202, data: { job: { key } } };
    });
    await h.client.submit({
      method: 'POST',
      path: '/api/storage-provider/luns',
      body: { name: 'lun1', space: { size: 1024 } },
      headers: { 'X-Correlation-Id': 'corr-7', Accept: 'application/hal+json' },
    });
    expect(seen?.headers).toEqual({
      accept: 'application/hal+json',
      'content-type': 'application/json',
      'x-correlation-id': 'corr-7',
      authorization: expect.stringMatching(/^Basic /),
    });
    expect(JSON.parse(String(seen?.body))).toEqual({ name: 'lun1', space: { size: 1024 } });
  });

  it.each([
    ['no job reference', { status: 'accepted' }],
    ['ONTAP job without link', { job: { uuid: 'u-1' } }],
    ['job link to another host', { job: { key, _links: { self: { href: 'https://evil.test/api/x' } } } }],
    ['not JSON', 'oops'],
  ])('202 with %s is an ambiguous validation error', async (_name, body) => {
    h = harness();
    h.pool.intercept({ path: '/api/storage-provider/luns', method: 'POST' }).reply(202, body);
    const error = await rejection(
      h.client.submit({ method: 'POST', path: '/api/storage-provider/luns', body: {} }),
    );
    expect(error).toBeInstanceOf(AiqumResponseValidationError);
    expect(error).toMatchObject({
      code: 'AIQUM_RESPONSE_INVALID',
      ambiguous: true,
      retryable: false,
      status: 202,
    });
  });
});

describe('submit: a 202 that is a result', () => {
  const recommendation = { key: 'c1:type=aggregate,uuid=a1', name: 'aggr1', uuid: 'a1' };

  it.each([
    '/api/storage-provider/data-placement',
    '/api/storage-provider/data-placement/balance',
    '/api/v2/storage-provider/data-placement',
    '/api/v2/storage-provider/data-placement/balance',
  ])('POST %s answering 202 without a job is a sync result', async (path) => {
    h = harness();
    h.pool.intercept({ path, method: 'POST' }).reply(202, recommendation);
    const result = await h.client.submit({ method: 'POST', path, body: { capacity: '1000G' } });
    expect(result).toMatchObject({ kind: 'sync', status: 202, body: recommendation });
    expect(result).not.toHaveProperty('job');
  });

  it('a data-placement 202 that does name a job is still tracked as a job', async () => {
    h = harness();
    const path = '/api/storage-provider/data-placement';
    h.pool.intercept({ path, method: 'POST' }).reply(202, { job: { key } });
    const result = await h.client.submit({ method: 'POST', path, body: {} });
    expect(result).toMatchObject({ kind: 'job', job: { kind: 'aiqum', key } });
  });

  it.each([
    ['another route', '/api/storage-provider/luns'],
    ['a route that only starts like data placement', '/api/storage-provider/data-placement-x'],
    ['a sub-route other than balance', '/api/storage-provider/data-placement/other'],
  ])('a 202 without a job on %s stays ambiguous', async (_name, path) => {
    h = harness();
    h.pool.intercept({ path, method: 'POST' }).reply(202, recommendation);
    const error = await rejection(h.client.submit({ method: 'POST', path, body: {} }));
    expect(error).toMatchObject({ code: 'AIQUM_RESPONSE_INVALID', ambiguous: true, status: 202 });
  });

  it('a data-placement 202 whose body is not JSON stays ambiguous', async () => {
    h = harness();
    const path = '/api/storage-provider/data-placement';
    h.pool.intercept({ path, method: 'POST' }).reply(202, 'oops');
    const error = await rejection(h.client.submit({ method: 'POST', path, body: {} }));
    expect(error).toMatchObject({ code: 'AIQUM_RESPONSE_INVALID', ambiguous: true });
  });
});

describe('submit: synchronous answers', () => {
  it.each([
    [201, { records: [{ key: 'ig:1' }] }, { records: [{ key: 'ig:1' }] }],
    [200, { key: 'event:1' }, { key: 'event:1' }],
    [204, '', null],
  ])('%i is a sync result', async (status, body, expected) => {
    h = harness();
    h.pool.intercept({ path: '/api/datacenter/protocols/san/igroups', method: 'POST' }).reply(status, body);
    const result = await h.client.submit({
      method: 'POST',
      path: '/api/datacenter/protocols/san/igroups',
      body: {},
    });
    expect(result).toMatchObject({ kind: 'sync', status, body: expected });
  });

  it('an ONTAP gateway call that finished within return_timeout is sync', async () => {
    h = harness();
    const path = '/api/gateways/c1/storage/volumes?return_timeout=30';
    h.pool.intercept({ path, method: 'POST' }).reply(201, { num_records: 1, records: [{ uuid: 'v1' }] });
    const result = await h.client.submit({ method: 'POST', path, body: { name: 'vol1' } });
    expect(result.kind).toBe('sync');
  });
});

describe('submit: request validation (nothing sent)', () => {
  it.each([
    ['Authorization header', { headers: { Authorization: 'Basic eA==' } }],
    ['Host header', { headers: { host: 'evil' } }],
    ['Content-Length header', { headers: { 'content-length': '1' } }],
    ['header value with CRLF', { headers: { 'x-a': 'a\r\nb: c' } }],
    ['bad path', { path: 'https://evil.test/api/luns' }],
    ['GET is not a write', { method: 'GET' }],
    ['a body that is not JSON', { body: { size: 10n } }],
  ])('rejects %s', async (_name, override) => {
    h = harness();
    const request = { method: 'POST', path: '/api/storage-provider/luns', ...override };
    // @ts-expect-error deliberately invalid input from untyped callers
    const error = await rejection(h.client.submit(request));
    expect(error).toBeInstanceOf(AiqumInvalidRequestError);
    expect(error).toMatchObject({ ambiguous: false, retryable: false });
  });
});

describe('submit: error statuses', () => {
  it.each([
    {
      status: 400,
      type: AiqumBadRequestError,
      code: 'AIQUM_BAD_REQUEST',
      retryable: false,
      ambiguous: false,
    },
    {
      status: 401,
      type: AiqumAuthenticationError,
      code: 'AIQUM_UNAUTHORIZED',
      retryable: false,
      ambiguous: false,
    },
    {
      status: 403,
      type: AiqumPermissionDeniedError,
      code: 'AIQUM_FORBIDDEN',
      retryable: false,
      ambiguous: false,
    },
    { status: 404, type: AiqumNotFoundError, code: 'AIQUM_NOT_FOUND', retryable: false, ambiguous: false },
    { status: 405, type: AiqumApiError, code: 'AIQUM_API_ERROR', retryable: false, ambiguous: false },
    { status: 409, type: AiqumConflictError, code: 'AIQUM_CONFLICT', retryable: false, ambiguous: false },
    { status: 429, type: AiqumRateLimitError, code: 'AIQUM_RATE_LIMITED', retryable: true, ambiguous: false },
    { status: 500, type: AiqumServerError, code: 'AIQUM_SERVER_ERROR', retryable: false, ambiguous: true },
    { status: 502, type: AiqumServerError, code: 'AIQUM_SERVER_ERROR', retryable: false, ambiguous: true },
    { status: 503, type: AiqumServerError, code: 'AIQUM_SERVER_ERROR', retryable: true, ambiguous: false },
    { status: 504, type: AiqumServerError, code: 'AIQUM_SERVER_ERROR', retryable: false, ambiguous: true },
  ])('POST answered $status → $code', async ({ status, type, code, retryable, ambiguous }) => {
    h = harness();
    h.pool
      .intercept({ path: '/api/storage-provider/luns', method: 'POST' })
      .reply(status, { error: { message: 'Volume is full', code: 917_927, target: 'space.size' } });
    const error = await rejection(
      h.client.submit({ method: 'POST', path: '/api/storage-provider/luns', body: {} }),
    );
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({
      code,
      status,
      retryable,
      ambiguous,
      method: 'POST',
      path: '/api/storage-provider/luns',
      error: { message: 'Volume is full', code: 917_927, target: 'space.size' },
    });
    expect(String(error)).toContain(
      `POST /api/storage-provider/luns answered ${status}: Volume is full (target: space.size)`,
    );
  });

  it('parses a string error code and the request id', async () => {
    h = harness();
    h.pool
      .intercept({ path: '/api/storage-provider/luns', method: 'POST' })
      .reply(400, { error: { message: 'bad', code: '4' } }, { headers: { 'x-request-id': 'r-9' } });
    const error = await rejection(
      h.client.submit({ method: 'POST', path: '/api/storage-provider/luns', body: {} }),
    );
    expect(error).toMatchObject({ error: { message: 'bad', code: '4' }, requestId: 'r-9' });
  });

  it('tolerates a non-JSON error body and keeps it truncated', async () => {
    h = harness();
    h.pool
      .intercept({ path: '/api/storage-provider/luns', method: 'POST' })
      .reply(400, `<html>${'x'.repeat(5000)}`);
    const error = await rejection(
      h.client.submit({ method: 'POST', path: '/api/storage-provider/luns', body: {} }),
    );
    expect(error).toBeInstanceOf(AiqumBadRequestError);
    if (!(error instanceof AiqumApiError)) throw error;
    expect(error.error).toEqual({});
    expect(error.body.startsWith('<html>')).toBe(true);
    expect(error.body.length).toBe(2000);
    expect(error.message).toBe('POST /api/storage-provider/luns answered 400');
  });

  it('never retries a write, even on 503', async () => {
    h = harness();
    let calls = 0;
    h.pool
      .intercept({ path: '/api/storage-provider/luns', method: 'POST' })
      .reply(() => {
        calls += 1;
        return { statusCode: 503, data: '' };
      })
      .persist();
    const error = await rejection(
      h.client.submit({ method: 'POST', path: '/api/storage-provider/luns', body: {} }),
    );
    expect(error).toBeInstanceOf(AiqumServerError);
    expect(calls).toBe(1);
    expect(h.sleeps).toEqual([]);
  });
});
