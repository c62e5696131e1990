import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auth, type Harness, labLun, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('POST /v1/requests validation', () => {
  let before: Awaited<ReturnType<Harness['footprint']>>;
  beforeEach(async () => {
    before = await h.footprint();
  });

  const bad: Array<[string, unknown, string]> = [
    ['a protocol-relative path', { ...labLun, path: '//evil.example.com/api/x' }, 'path'],
    ['an absolute URL', { ...labLun, path: 'http://x/api/storage-provider/luns' }, 'path'],
    ['a dot-dot segment', { ...labLun, path: '/api/../x' }, 'path'],
    ['an encoded dot-dot', { ...labLun, path: '/api/%2e%2e/x' }, 'path'],
    ['CR/LF in the path', { ...labLun, path: '/api/storage-provider/luns\r\nHost: evil' }, 'path'],
    ['a mixed-case encoded dot-dot', { ...labLun, path: '/api/%2E%2e/x' }, 'path'],
    ['an encoded slash', { ...labLun, path: '/api/storage-provider%2f..%2fx' }, 'path'],
    ['an encoded backslash', { ...labLun, path: '/api/storage-provider%5cx' }, 'path'],
    ['a backslash', { ...labLun, path: '/api\\storage-provider\\luns' }, 'path'],
    ['NUL in the path', { ...labLun, path: '/api/storage-provider/luns\u0000' }, 'path'],
    ['a tab in the path', { ...labLun, path: '/api/storage-provider/\tluns' }, 'path'],
    ['an over-long path', { ...labLun, path: `/api/${'a'.repeat(9_000)}` }, 'path'],
    ['raw non-ASCII in the query', { ...labLun, path: '/api/storage-provider/luns?name=lun_\u00e9' }, 'path'],
    ['a right-to-left override', { ...labLun, path: '/api/storage-provider/\u202esnul' }, 'path'],
    ['a lone surrogate', { ...labLun, path: '/api/storage-provider/luns/\ud800' }, 'path'],
    ['a target that is not a name', { ...labLun, target: '../lab' }, 'target'],
    ['a target in another case', { ...labLun, target: 'LAB' }, 'target'],
    ['an unknown target', { ...labLun, target: 'elsewhere' }, 'target'],
    [
      'a GET with a body',
      { target: 'lab', method: 'GET', path: '/api/datacenter/svm/svms', body: {} },
      'body',
    ],
    ['a wrong type', { ...labLun, deadlineSeconds: 'soon' }, 'deadlineSeconds'],
    ['an unknown method', { ...labLun, method: 'TRACE' }, 'method'],
    ['an unknown field', { ...labLun, host: 'evil.example.com' }, '(body)'],
  ];

  it.each(bad)('rejects %s with 400 naming the field, and stores nothing', async (_name, body, path) => {
    const response = await h.server.inject({
      method: 'POST',
      url: '/v1/requests',
      headers: auth,
      payload: body as object,
    });
    expect(response.statusCode).toBe(400);
    const error = response.json().error;
    expect(['VALIDATION_FAILED', 'UNKNOWN_TARGET']).toContain(error.code);
    expect(error.issues.map((issue: { path: string }) => issue.path)).toContain(path);
    expect(await h.footprint()).toEqual(before);
  });

  it('names the unknown target', async () => {
    const response = await h.server.inject({
      method: 'POST',
      url: '/v1/requests',
      headers: auth,
      payload: { ...labLun, target: 'elsewhere' },
    });
    expect(response.json().error).toMatchObject({ code: 'UNKNOWN_TARGET' });
    expect(response.json().error.message).toContain('"elsewhere"');
  });

  it('requires a target when several are configured', async () => {
    const { target: _target, ...untargeted } = labLun;
    const response = await h.server.inject({
      method: 'POST',
      url: '/v1/requests',
      headers: auth,
      payload: untargeted,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.issues).toEqual([
      { path: 'target', message: expect.stringContaining('lab, prod') },
    ]);
  });

  it('rejects malformed JSON and bodies that are not a JSON object', async () => {
    const malformed = await h.server.inject({
      method: 'POST',
      url: '/v1/requests',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"method":',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.code).toBe('VALIDATION_FAILED');
    const text = await h.server.inject({
      method: 'POST',
      url: '/v1/requests',
      headers: { ...auth, 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expect(text.statusCode).toBe(400);
    expect(text.json().error.issues).toEqual([{ path: '(body)', message: expect.any(String) }]);
    expect(await h.footprint()).toEqual(before);
  });
});

describe('POST /v1/requests and GET /v1/requests/:id', () => {
  it('queues a request and shows it with its spec', async () => {
    const response = await h.server.inject({
      method: 'POST',
      url: '/v1/requests',
      headers: auth,
      payload: { ...labLun, deadlineSeconds: 120, metadata: { ticket: 'CHG-1' } },
    });
    expect(response.statusCode).toBe(202);
    const answer = response.json();
    expect(answer).toMatchObject({ status: 'queued', links: { self: `/v1/requests/${answer.requestId}` } });
    expect(response.headers.location).toBe(answer.links.self);

    const view = await h.server.inject({ url: answer.links.self, headers: auth });
    expect(view.statusCode).toBe(200);
    const request = view.json();
    expect(request).toMatchObject({
      requestId: answer.requestId,
      status: 'queued',
      target: 'lab',
      method: 'POST',
      path: '/api/storage-provider/luns',
      metadata: { ticket: 'CHG-1' },
      retryAmbiguous: false,
      polls: 0,
    });
    expect(Date.parse(request.deadlineAt) - Date.parse(request.createdAt)).toBe(120_000);

    const job = await h.queue.getJob(answer.requestId);
    expect(job?.name).toBe('request');
    expect(job?.data).toMatchObject({ requestId: answer.requestId, body: labLun.body });
    expect(await job?.getState()).toBe('waiting');
  });

  it("uses the target's default deadline", async () => {
    const response = await h.server.inject({
      method: 'POST',
      url: '/v1/requests',
      headers: auth,
      payload: { ...labLun, target: 'prod' },
    });
    const view = await h.producer.get(response.json().requestId);
    expect(Date.parse(view?.deadlineAt ?? '') - Date.parse(view?.createdAt ?? '')).toBe(3_600_000);
  });

  it('answers a malformed percent-encoding in the URL with 400 in the API error shape', async () => {
    for (const url of ['/v1/requests/%zz', '/v1/requests/%ED%A0%80', '/%E0%A4%A']) {
      const response = await h.server.inject({ url, headers: auth });
      expect(response.statusCode, url).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path: '(url)' }] });
    }
  });

  it('answers 404 for unknown ids', async () => {
    for (const url of [
      '/v1/requests/nope',
      '/v1/batches/nope',
      '/v1/batches/nope/requests',
      '/v1/requests/a:b',
    ]) {
      const response = await h.server.inject({ url, headers: auth });
      expect(response.statusCode, url).toBe(404);
      expect(response.json().error.code).toBe('NOT_FOUND');
    }
    const cancel = await h.server.inject({ method: 'DELETE', url: '/v1/requests/nope', headers: auth });
    expect(cancel.statusCode).toBe(404);
  });
});
