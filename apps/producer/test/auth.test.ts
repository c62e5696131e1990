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
});
