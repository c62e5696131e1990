import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, labLun, startHarness, testToken } from './harness.js';

describe('bearer tokens', () => {
  let h: Harness;
  const otherToken = 'second-token-with-another-length-0123456789';
  beforeAll(async () => {
    h = await startHarness({ apiTokens: [testToken, otherToken] });
  });
  afterAll(() => h.close());

  const post = (headers: Record<string, string>) =>
    h.server.inject({ method: 'POST', url: '/v1/requests', headers, payload: labLun });

  it.each([
    ['no token', {}],
    ['a wrong token of the same length', { authorization: `Bearer ${testToken.replace(/.$/, 'X')}` }],
    ['a token of another length', { authorization: 'Bearer short-but-wrong' }],
    ['another scheme', { authorization: `Basic ${testToken}` }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('answers 401 to %s and stores nothing', async (_name, headers) => {
    const before = await h.footprint();
    const response = await post(headers);
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(response.json().error.code).toBe('UNAUTHORIZED');
    expect(await h.footprint()).toEqual(before);
  });

  it('accepts every configured token, and never logs one', async () => {
    expect((await post({ authorization: `Bearer ${testToken}` })).statusCode).toBe(202);
    expect((await post({ authorization: `bearer ${otherToken}` })).statusCode).toBe(202);
    const read = await h.server.inject({
      url: '/v1/requests/nope',
      headers: { authorization: `Bearer ${testToken}` },
    });
    expect(read.statusCode).toBe(404);
    expect(h.logs.lines().length).toBeGreaterThan(0);
    expect(h.logs.text()).not.toContain(testToken);
    expect(h.logs.text()).not.toContain(otherToken);
  });

  it('serves health and readiness without a token', async () => {
    expect((await h.server.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await h.server.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready' });
  });
});

describe('without tokens', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ apiTokens: [] });
  });
  afterAll(() => h.close());

  it('logs a warning and serves loopback clients only', async () => {
    const warning = h.logs.lines().find((line) => line.level === 40);
    expect(String(warning?.msg)).toContain('loopback only');

    const local = await h.server.inject({ method: 'POST', url: '/v1/requests', payload: labLun });
    expect(local.statusCode).toBe(202);
    const remote = await h.server.inject({
      method: 'POST',
      url: '/v1/requests',
      payload: labLun,
      remoteAddress: '10.1.2.3',
    });
    expect(remote.statusCode).toBe(403);
    expect(remote.json().error.code).toBe('FORBIDDEN');
  });
  const submit = (headers: Record<string, string>) =>
    h.server.inject({ method: 'POST', url: '/v1/requests', headers, payload: labLun });

  it.each([
    ['127.0.0.1:8080', {}],
    ['127.0.0.1', {}],
    ['[::1]:8080', {}],
    ['localhost', {}],
    ['LOCALHOST:8080', {}],
    ['localhost:8080', { origin: 'http://localhost:8080', 'sec-fetch-site': 'same-origin' }],
    ['127.0.0.1:8080', { origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-site' }],
    ['[::1]:8080', { origin: 'https://[::1]' }],
  ])('accepts Host %s with %o', async (host, headers) => {
    expect((await submit({ host, ...headers })).statusCode).toBe(202);
  });

  it.each([
    'evil.example',
    'evil.example:8080',
    'localhost.evil.example:8080',
    '127.0.0.1.nip.io:8080',
    'localhost@evil.example',
    '10.0.0.1:8080',
  ])('refuses Host %j, which a DNS rebinding attack sends, and stores nothing', async (host) => {
    const before = await h.footprint();
    const response = await submit({ host });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.code).toBe('FORBIDDEN_HOST');
    expect(await h.footprint()).toEqual(before);
  });

  it.each([
    [{ origin: 'https://evil.example' }],
    [{ origin: 'http://localhost.evil.example:8080' }],
    [{ origin: 'null' }],
    [{ origin: 'not a url' }],
    [{ 'sec-fetch-site': 'cross-site' }],
    [{ origin: 'http://localhost:8080', 'sec-fetch-site': 'cross-site' }],
  ])('refuses a cross-origin browser request with %o', async (headers) => {
    const before = await h.footprint();
    const response = await submit({ host: 'localhost:8080', ...headers });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.code).toBe('CROSS_ORIGIN');
    expect(await h.footprint()).toEqual(before);
    const read = await h.server.inject({
      url: '/v1/requests/nope',
      headers: { host: 'localhost', ...headers },
    });
    expect(read.json().error.code).toBe('CROSS_ORIGIN');
  });
});
