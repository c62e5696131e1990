import { metricValue, parseMetricSamples } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, type Harness, labLun, startHarness, testToken } from './harness.js';

const scrapeToken = 'scrape-token-0123456789';
const json = { ...auth, 'content-type': 'application/json' };

describe('producer metrics', () => {
  let h: Harness;
  let url: string;
  beforeAll(async () => {
    h = await startHarness();
    url = await h.server.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => h.close());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify(body) });

  it('count HTTP requests by route pattern and status, and the requests and batches created', async () => {
    const first = await post('/v1/requests', labLun);
    expect(first.status).toBe(202);
    const { requestId } = (await first.json()) as { requestId: string };
    expect((await post('/v1/requests', labLun)).status).toBe(202);
    // A replay answers 202 again but creates nothing.
    for (let call = 0; call < 2; call += 1) {
      expect((await post('/v1/requests', labLun, { 'idempotency-key': 'metrics-once' })).status).toBe(202);
    }
    const batch = { requests: [labLun, labLun, { ...labLun, target: 'prod' }] };
    expect((await post('/v1/batches', batch)).status).toBe(202);
    expect((await post('/v1/requests', { ...labLun, path: 'http://elsewhere/' })).status).toBe(400);
    expect((await fetch(`${url}/v1/requests/${requestId}`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${url}/v1/requests/no-such-request`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${url}/no/such/route/${requestId}`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${url}/v1/requests/${requestId}`)).status).toBe(401);

    // The scrape needs no API token unless a metrics token is configured.
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parseMetricSamples(await response.text());
    const requests = (method: string, route: string, status: string) =>
      metricValue(samples, 'aiqum_jobs_http_requests_total', { method, route, status });
    const durations = (method: string, route: string, status: string) =>
      metricValue(samples, 'aiqum_jobs_http_request_duration_seconds_count', { method, route, status });

    expect(requests('POST', '/v1/requests', '202')).toBe(4);
    expect(requests('POST', '/v1/requests', '400')).toBe(1);
    expect(requests('POST', '/v1/batches', '202')).toBe(1);
    expect(requests('GET', '/v1/requests/:id', '200')).toBe(1);
    expect(requests('GET', '/v1/requests/:id', '404')).toBe(1);
    expect(requests('GET', '/v1/requests/:id', '401')).toBe(1);
    expect(requests('GET', '(unmatched)', '404')).toBe(1);
    expect(durations('POST', '/v1/requests', '202')).toBe(4);
    expect(durations('GET', '(unmatched)', '404')).toBe(1);
    // Label values are route patterns: no id or unknown path ever becomes one.
    const routes = new Set(
      samples.map((sample) => sample.labels.route).filter((route) => route !== undefined),
    );
    expect([...routes].filter((route) => route.includes(requestId) || route.includes('no-such'))).toEqual([]);

    expect(metricValue(samples, 'aiqum_jobs_requests_created_total', { target: 'lab' })).toBe(5);
    expect(metricValue(samples, 'aiqum_jobs_requests_created_total', { target: 'prod' })).toBe(1);
    expect(metricValue(samples, 'aiqum_jobs_batches_created_total')).toBe(1);
    expect(metricValue(samples, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('count an event stream once it ends, with how long it stayed open', async () => {
    const controller = new AbortController();
    const stream = await fetch(`${url}/v1/events`, { headers: auth, signal: controller.signal });
    expect(stream.status).toBe(200);
    controller.abort();
    await stream.body?.cancel().catch(() => {});
    const labels = { method: 'GET', route: '/v1/events', status: '200' };
    const scrape = async () => parseMetricSamples(await (await fetch(`${url}/metrics`)).text());
    await expect
      .poll(async () => metricValue(await scrape(), 'aiqum_jobs_http_requests_total', labels), {
        timeout: 5_000,
      })
      .toBe(1);
    const samples = await scrape();
    expect(metricValue(samples, 'aiqum_jobs_http_request_duration_seconds_count', labels)).toBe(1);
    expect(metricValue(samples, 'aiqum_jobs_http_request_duration_seconds_sum', labels)).toBeGreaterThan(0);
  });
});

describe('producer metrics with a scrape token', () => {
  let h: Harness;
  let url: string;
  beforeAll(async () => {
    h = await startHarness({ metricsToken: scrapeToken });
    url = await h.server.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => h.close());

  it('answer only the scrape token, not an API token, with the API error shape', async () => {
    for (const headers of [{}, auth, { authorization: 'Bearer wrong-token-0123456789' }]) {
      const refused = await fetch(`${url}/metrics`, { headers });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer');
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    }
    const allowed = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${scrapeToken}` } });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('aiqum_jobs_http_requests_total');
    // The API keeps its own tokens.
    expect(
      (await fetch(`${url}/v1/requests/x`, { headers: { authorization: `Bearer ${scrapeToken}` } })).status,
    ).toBe(401);
    expect(h.logs.text()).not.toContain(scrapeToken);
    expect(h.logs.text()).not.toContain(testToken);
  });
});
