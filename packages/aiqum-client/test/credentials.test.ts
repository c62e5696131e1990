import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AiqumAuthenticationError,
  AiqumConfigurationError,
  AiqumError,
  AiqumTimeoutError,
} from '../src/index.js';
import { basicValue, capturedLogger, type Harness, harness, password, rejection } from './helpers.js';

let h: Harness;
afterEach(async () => {
  await h.finish();
});

function assertClean(text: string): void {
  expect(text).not.toContain(password);
  expect(text).not.toContain(basicValue);
}

describe('credentials never leak', () => {
  it('not in logs, errors or the inspected client, through a 401, a retry and a timeout', async () => {
    const { logger, lines, text } = capturedLogger();
    h = harness({ logger, timeoutMs: 30 });
    const errors: unknown[] = [];

    h.pool
      .intercept({ path: '/api/storage-provider/luns', method: 'POST' })
      .reply(
        401,
        { error: { message: 'Authentication failed', code: '401' } },
        { headers: { 'www-authenticate': 'Basic realm="aiqum"', 'set-cookie': 'JSESSIONID=abc; Secure' } },
      );
    errors.push(
      await rejection(h.client.submit({ method: 'POST', path: '/api/storage-provider/luns', body: {} })),
    );

    h.pool.intercept({ path: '/api/datacenter/svm/svms', method: 'GET' }).reply(503, '');
    h.pool.intercept({ path: '/api/datacenter/svm/svms', method: 'GET' }).reply(200, { records: [] });
    await h.client.get('/api/datacenter/svm/svms');

    h.pool.intercept({ path: '/api/storage-provider/luns', method: 'PATCH' }).reply(202, {}).delay(2_000);
    errors.push(
      await rejection(h.client.submit({ method: 'PATCH', path: '/api/storage-provider/luns', body: {} })),
    );

    expect(errors[0]).toBeInstanceOf(AiqumAuthenticationError);
    expect(errors[1]).toBeInstanceOf(AiqumTimeoutError);
    // The session cookie is a credential too.
    expect((errors[0] as AiqumAuthenticationError).headers).not.toHaveProperty('set-cookie');
    expect(lines().length).toBeGreaterThan(3);
    expect(lines().some((line) => line.msg === 'retrying AIQUM call')).toBe(true);
    assertClean(text());
    for (const error of errors) {
      if (!(error instanceof AiqumError)) throw error;
      assertClean(error.message);
      assertClean(String(error));
      assertClean(JSON.stringify(error));
      assertClean(inspect(error, { depth: 10, showHidden: true }));
      expect(JSON.stringify(error)).not.toContain('JSESSIONID');
    }
    assertClean(inspect(h.client, { depth: 10, showHidden: true }));
    assertClean(JSON.stringify(h.client));
    expect(inspect(h.client)).toContain('aiqum.test');
  });

  it('not in configuration errors', () => {
    h = harness();
    let caught: unknown;
    try {
      harness({ baseUrl: `https://admin:${password}@aiqum.test`, logger: capturedLogger().logger });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AiqumConfigurationError);
    assertClean(String(caught));
    assertClean(JSON.stringify(caught));
    expect(String(caught)).toContain('must not contain credentials');
  });
});
