import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorBodySchema } from '../src/api-schemas.js';
import { type Harness, labLun, startHarness, testToken } from './harness.js';

const otherToken = 'other-token-0123456789abcdef';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The error of a refusal, checked against the API's error shape. */
function errorOf(body: unknown) {
  return errorBodySchema.parse(body).error;
}

describe('caps on open event streams', () => {
  let h: Harness;
  let baseUrl: string;
  const open: AbortController[] = [];
  beforeAll(async () => {
    h = await startHarness({
      apiTokens: [testToken, otherToken],
      limits: { maxEventStreams: 3, maxEventStreamsPerToken: 2 },
    });
    baseUrl = await h.server.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    for (const controller of open) controller.abort();
    await h.close();
  });

  /** Opens a stream and answers its response, left open until the test ends (or it is aborted). */
  async function openStream(token: string): Promise<{ response: Response; controller: AbortController }> {
    const controller = new AbortController();
    open.push(controller);
    const response = await fetch(`${baseUrl}/v1/events`, {
      headers: bearer(token),
      signal: controller.signal,
    });
    return { response, controller };
  }

  it('answers 429 TOO_MANY_EVENT_STREAMS with Retry-After past the cap per token and per process', async () => {
    const first = await openStream(testToken);
    expect(first.response.status).toBe(200);
    expect((await openStream(testToken)).response.status).toBe(200);

    // A third stream of the same token is one too many for it.
    const perToken = await openStream(testToken);
    expect(perToken.response.status).toBe(429);
    expect(Number(perToken.response.headers.get('retry-after'))).toBeGreaterThan(0);
    const perTokenError = errorOf(await perToken.response.json());
    expect(perTokenError.code).toBe('TOO_MANY_EVENT_STREAMS');
    expect(perTokenError.message).toContain('PRODUCER_MAX_EVENT_STREAMS_PER_TOKEN');

    // Another token has its own allowance, up to the process's cap of 3.
    expect((await openStream(otherToken)).response.status).toBe(200);
    const perProcess = await openStream(otherToken);
    expect(perProcess.response.status).toBe(429);
    const perProcessError = errorOf(await perProcess.response.json());
    expect(perProcessError.code).toBe('TOO_MANY_EVENT_STREAMS');
    expect(perProcessError.message).toContain('PRODUCER_MAX_EVENT_STREAMS)');

    // A closed stream frees its slot.
    first.controller.abort();
    let reopened = await openStream(testToken);
    for (let attempt = 0; reopened.response.status === 429 && attempt < 50; attempt += 1) {
      await sleep(20);
      reopened = await openStream(testToken);
    }
    expect(reopened.response.status).toBe(200);
  });
});

describe('rate limits', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      apiTokens: [testToken, otherToken],
      limits: { rateLimitPerMinute: 5, loginRateLimitPerMinute: 2 },
    });
  });
  afterAll(() => h.close());

  const read = (headers: Record<string, string>) =>
    h.server.inject({ method: 'GET', url: '/v1/requests/nope', headers });

  it('answers 429 TOO_MANY_REQUESTS with Retry-After past the budget of a token; others keep theirs', async () => {
    for (let index = 0; index < 5; index += 1) expect((await read(bearer(testToken))).statusCode).toBe(404);
    const refused = await read(bearer(testToken));
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(errorOf(refused.json()).code).toBe('TOO_MANY_REQUESTS');
    // Writes count too, and store nothing once refused.
    const before = await h.footprint();
    const post = await h.server.inject({
      method: 'POST',
      url: '/v1/requests',
      headers: bearer(testToken),
      payload: labLun,
    });
    expect(post.statusCode).toBe(429);
    expect(await h.footprint()).toEqual(before);

    expect((await read(bearer(otherToken))).statusCode).toBe(404);
    // Probes are never limited.
    for (let index = 0; index < 10; index += 1) {
      expect((await h.server.inject({ url: '/healthz' })).statusCode).toBe(200);
    }
  });

  it('counts wrong tokens by address, so guessing tokens runs out of tries', async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 7; index += 1) {
      statuses.push((await read(bearer(`guess-${index}-0123456789abcdef`))).statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });

  it('allows fewer dashboard logins per address', async () => {
    const login = () =>
      h.server.inject({
        method: 'POST',
        url: '/dashboard/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ token: 'not-the-token-0123456789' }).toString(),
        remoteAddress: '192.0.2.10',
      });
    expect((await login()).statusCode).toBe(401);
    expect((await login()).statusCode).toBe(401);
    const refused = await login();
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(errorOf(refused.json()).code).toBe('TOO_MANY_REQUESTS');
  });
});

describe('requests that arrive too slowly', () => {
  let h: Harness;
  let port: number;
  beforeAll(async () => {
    h = await startHarness({ limits: { headersTimeoutMs: 300, requestTimeoutMs: 600 } });
    const url = new URL(await h.server.listen({ host: '127.0.0.1', port: 0 }));
    port = Number(url.port);
  });
  afterAll(() => h.close());

  /**
   * Sends `head`, then one byte of `trickle` at a time every 100 ms, and answers what the server sent and
   * whether it closed the connection before the trickle was done (which would take many seconds).
   */
  async function trickle(head: string, dribble: string): Promise<{ answer: string; cutOff: boolean }> {
    const socket: Socket = connect(port, '127.0.0.1');
    let answer = '';
    let closed = false;
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    const done = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('close', () => {
      closed = true;
    });
    socket.on('error', () => {});
    socket.write(head);
    for (const byte of dribble) {
      if (closed) break;
      await sleep(100);
      if (!closed) socket.write(byte);
    }
    const cutOff = closed;
    socket.destroy();
    await done;
    return { answer, cutOff };
  }

  it('closes a connection whose headers come slowly, with 408', async () => {
    const result = await trickle('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: '.padEnd(100, 'a'));
    expect(result.cutOff).toBe(true);
    expect(result.answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes a connection whose body comes slowly, with 408', async () => {
    const body = JSON.stringify(labLun).padEnd(100, ' ');
    const head =
      'POST /v1/requests HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
      `Authorization: Bearer ${testToken}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\n\r\n`;
    const result = await trickle(head, body);
    expect(result.cutOff).toBe(true);
    expect(result.answer).toMatch(/^HTTP\/1\.1 408/);
  });
});
