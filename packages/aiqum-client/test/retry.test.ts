import { afterEach, describe, expect, it } from 'vitest';
import {
  AiqumAbortError,
  AiqumConnectionError,
  AiqumNotFoundError,
  AiqumServerError,
  AiqumTimeoutError,
} from '../src/index.js';
import { type Harness, harness, rejection } from './helpers.js';

const path = '/api/datacenter/cluster/clusters';
let h: Harness;
afterEach(async () => {
  await h.finish();
});

function counted(statuses: Array<[number, string | object, Record<string, string>?]>): () => number {
  let calls = 0;
  for (const [status, body, headers] of statuses) {
    h.pool.intercept({ path, method: 'GET' }).reply(() => {
      calls += 1;
      return { statusCode: status, data: body, responseOptions: { headers: headers ?? {} } };
    });
  }
  return () => calls;
}

function networkError(code: string): Error {
  return Object.assign(new Error(`simulated ${code}`), { code });
}

describe('retries of idempotent calls', () => {
  it('retries 503 twice then succeeds: 3 calls, full-jitter backoff delays', async () => {
    h = harness({ retry: { baseDelayMs: 100 } });
    const calls = counted([
      [503, ''],
      [503, ''],
      [200, { records: [] }],
    ]);
    await expect(h.client.get(path)).resolves.toEqual({ records: [] });
    expect(calls()).toBe(3);
    // random() = 0.5: half of 100 * 2^0, then half of 100 * 2^1.
    expect(h.sleeps).toEqual([50, 100]);
  });

  it('retries 429, 500, 502 and 504 for GET', async () => {
    h = harness();
    const calls = counted([
      [429, ''],
      [500, ''],
      [502, ''],
      [504, ''],
      [200, { ok: true }],
    ]);
    await expect(h.client.get(path)).resolves.toEqual({ ok: true });
    expect(calls()).toBe(5);
  });

  it('honours Retry-After in seconds and as an HTTP date, capped by maxRetryAfterMs', async () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    h = harness({ now: () => now, retry: { maxRetryAfterMs: 60_000 } });
    counted([
      [429, '', { 'retry-after': '7' }],
      [503, '', { 'retry-after': new Date(now + 12_000).toUTCString() }],
      [503, '', { 'retry-after': '3600' }],
      [200, {}],
    ]);
    await h.client.get(path);
    expect(h.sleeps).toEqual([7_000, 12_000, 60_000]);
  });

  it('gives up after maxRetries with the last error', async () => {
    h = harness({ retry: { maxRetries: 2 } });
    const calls = counted([
      [503, { error: { message: 'first' } }],
      [503, { error: { message: 'second' } }],
      [503, { error: { message: 'last' } }],
    ]);
    const error = await rejection(h.client.get(path));
    expect(error).toBeInstanceOf(AiqumServerError);
    expect(error).toMatchObject({ status: 503, error: { message: 'last' } });
    expect(calls()).toBe(3);
    expect(h.sleeps).toHaveLength(2);
  });

  it('does not retry a 404', async () => {
    h = harness();
    const calls = counted([[404, { error: { message: 'no such cluster' } }]]);
    await expect(h.client.get(path)).rejects.toBeInstanceOf(AiqumNotFoundError);
    expect(calls()).toBe(1);
  });

  it('retries a reset connection for GET, and classifies it', async () => {
    h = harness();
    h.pool.intercept({ path, method: 'GET' }).replyWithError(networkError('ECONNRESET'));
    h.pool.intercept({ path, method: 'GET' }).reply(200, { ok: 1 });
    await expect(h.client.get(path)).resolves.toEqual({ ok: 1 });
    expect(h.sleeps).toHaveLength(1);
  });

  it('retries a GET that timed out', async () => {
    h = harness({ timeoutMs: 30 });
    h.pool.intercept({ path, method: 'GET' }).reply(200, { late: true }).delay(2_000);
    h.pool.intercept({ path, method: 'GET' }).reply(200, { late: false });
    await expect(h.client.get(path)).resolves.toEqual({ late: false });
    expect(h.sleeps).toHaveLength(1);
  });

  it('stops retrying when the caller aborts during the backoff', async () => {
    const controller = new AbortController();
    h = harness({
      sleep: async () => {
        controller.abort();
        throw new Error('sleep aborted');
      },
    });
    counted([[503, '']]);
    const error = await rejection(h.client.get(path, { signal: controller.signal }));
    expect(error).toBeInstanceOf(AiqumAbortError);
    expect(error).toMatchObject({ code: 'AIQUM_ABORTED', ambiguous: false });
  });
});

describe('network failures of writes', () => {
  it.each([
    ['ECONNREFUSED', { retryable: true, ambiguous: false }],
    ['ENOTFOUND', { retryable: true, ambiguous: false }],
    ['UND_ERR_CONNECT_TIMEOUT', { retryable: true, ambiguous: false }],
    ['UND_ERR_SOCKET', { retryable: false, ambiguous: true }],
    ['ECONNRESET', { retryable: false, ambiguous: true }],
    ['EPIPE', { retryable: false, ambiguous: true }],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', { retryable: false, ambiguous: false }],
  ])('%s → %o', async (code, expected) => {
    h = harness();
    h.pool
      .intercept({ path: '/api/storage-provider/luns', method: 'POST' })
      .replyWithError(networkError(code));
    const error = await rejection(
      h.client.submit({ method: 'POST', path: '/api/storage-provider/luns', body: {} }),
    );
    expect(error).toBeInstanceOf(AiqumConnectionError);
    expect(error).toMatchObject({ code: 'AIQUM_CONNECTION_ERROR', ...expected });
    expect((error as Error).cause).toBeInstanceOf(Error);
    if (code === 'DEPTH_ZERO_SELF_SIGNED_CERT') expect(String(error)).toContain('configure `ca`');
  });

  it('a write that times out is ambiguous', async () => {
    h = harness({ timeoutMs: 50 });
    h.pool.intercept({ path: '/api/storage-provider/luns', method: 'POST' }).reply(202, {}).delay(5_000);
    const error = await rejection(
      h.client.submit({ method: 'POST', path: '/api/storage-provider/luns', body: {} }),
    );
    expect(error).toBeInstanceOf(AiqumTimeoutError);
    expect(error).toMatchObject({ code: 'AIQUM_TIMEOUT', ambiguous: true, retryable: false });
  });

  it('a write aborted by the caller in flight is ambiguous; before sending it is not', async () => {
    h = harness();
    h.pool.intercept({ path: '/api/storage-provider/luns', method: 'POST' }).reply(202, {}).delay(5_000);
    const controller = new AbortController();
    const pending = h.client.submit({
      method: 'POST',
      path: '/api/storage-provider/luns',
      body: {},
      signal: controller.signal,
    });
    controller.abort();
    const error = await rejection(pending);
    expect(error).toBeInstanceOf(AiqumAbortError);
    expect(error).toMatchObject({ ambiguous: true });

    const early = await rejection(
      h.client.submit({ method: 'POST', path: '/api/storage-provider/luns', signal: AbortSignal.abort() }),
    );
    expect(early).toMatchObject({ code: 'AIQUM_ABORTED', ambiguous: false });
  });
});
