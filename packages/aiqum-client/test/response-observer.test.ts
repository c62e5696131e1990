import { afterEach, describe, expect, it } from 'vitest';
import { AiqumBadRequestError, AiqumConnectionError, type ResponseObserver } from '../src/index.js';
import { type Harness, harness, rejection } from './helpers.js';

const path = '/api/datacenter/cluster/clusters';
let h: Harness;
afterEach(async () => {
  await h.finish();
});

function observed(): { onResponse: ResponseObserver; seen: Array<Parameters<ResponseObserver>[0]> } {
  const seen: Array<Parameters<ResponseObserver>[0]> = [];
  return { onResponse: (response) => seen.push(response), seen };
}

describe('onResponse', () => {
  it('sees every answer of a retried read, the failed ones included', async () => {
    const { onResponse, seen } = observed();
    h = harness({ onResponse });
    h.pool.intercept({ path, method: 'GET' }).reply(503, '');
    h.pool.intercept({ path, method: 'GET' }).reply(429, '');
    h.pool.intercept({ path, method: 'GET' }).reply(200, { records: [] });
    await h.client.get(path);
    expect(seen).toEqual([
      { method: 'GET', status: 503 },
      { method: 'GET', status: 429 },
      { method: 'GET', status: 200 },
    ]);
  });

  it('sees a rejected write, and nothing of a call that got no answer', async () => {
    const { onResponse, seen } = observed();
    h = harness({ onResponse, retry: { maxRetries: 0 } });
    h.pool.intercept({ path: '/api/storage-provider/luns', method: 'POST' }).reply(400, { error: {} });
    h.pool
      .intercept({ path, method: 'GET' })
      .replyWithError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    const rejected = await rejection(
      h.client.submit({ method: 'POST', path: '/api/storage-provider/luns', body: {} }),
    );
    expect(rejected).toBeInstanceOf(AiqumBadRequestError);
    expect(await rejection(h.client.get(path))).toBeInstanceOf(AiqumConnectionError);
    expect(seen).toEqual([{ method: 'POST', status: 400 }]);
  });
});
