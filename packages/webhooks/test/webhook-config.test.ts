import { inspect } from 'node:util';
import { ConfigError } from '@aiqum-jobs/contracts';
import { describe, expect, it } from 'vitest';
import { loadWebhookConfig } from '../src/index.js';

function files(contents: Record<string, string>): (path: string) => string {
  return (path) => {
    const content = contents[path];
    if (content === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    return content;
  };
}

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadWebhookConfig', () => {
  it('has defaults: no subscriptions, a closed allowlist, 8 attempts', () => {
    expect(loadWebhookConfig({})).toEqual({
      subscriptions: [],
      allowPrivate: false,
      allowedNetworks: [],
      maxSubscriptions: 100,
      concurrency: 20,
      maxPerOrigin: 4,
      timeoutMs: 10_000,
      maxAttempts: 8,
      backoffMs: 5_000,
      maxDelayMs: 3_600_000,
    });
  });

  it('reads the allowlist and the delivery settings from the environment', () => {
    const config = loadWebhookConfig({
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_ALLOWED_NETWORKS: '10.20.0.0/16, fd00::/8,192.0.2.7',
      WEBHOOK_MAX_ATTEMPTS: '3',
      WEBHOOK_MAX_PER_ORIGIN: '2',
      WEBHOOK_MAX_SUBSCRIPTIONS: '5',
    });
    expect(config).toMatchObject({
      allowPrivate: true,
      allowedNetworks: ['10.20.0.0/16', 'fd00::/8', '192.0.2.7'],
      maxAttempts: 3,
      maxPerOrigin: 2,
      maxSubscriptions: 5,
    });
  });

  it('names every bad variable', () => {
    const problems = problemsOf(() =>
      loadWebhookConfig({
        WEBHOOK_ALLOWED_NETWORKS: '10.0.0.0/33,example.com',
        WEBHOOK_MAX_ATTEMPTS: '0',
        WEBHOOK_ALLOW_PRIVATE: 'maybe',
      }),
    );
    const text = problems.join('\n');
    expect(text).toMatch(/WEBHOOK_ALLOWED_NETWORKS.*10\.0\.0\.0\/33 is not a CIDR/);
    expect(text).toMatch(/WEBHOOK_ALLOWED_NETWORKS.*example\.com is not a CIDR/);
    expect(text).toMatch(/WEBHOOK_MAX_ATTEMPTS/);
    expect(text).toMatch(/WEBHOOK_ALLOW_PRIVATE: must be true or false/);
  });

  it('reads static subscriptions from WEBHOOKS_FILE, their secrets wrapped', () => {
    const yaml = [
      'subscriptions:',
      '  - id: billing',
      '    url: https://hooks.example.com/aiqum?team=storage',
      '    types: [request.completed]',
      '    secretFile: /run/secrets/billing',
      '  - id: batch-watch',
      '    url: https://other.example.com/hook',
      '    batchId: b-1',
      '    secretEnv: WATCH_SECRET',
    ].join('\n');
    const config = loadWebhookConfig(
      { WEBHOOKS_FILE: '/etc/aiqum-jobs/webhooks.yaml', WATCH_SECRET: 'watch-secret-0123456789' },
      {
        readFile: files({
          '/etc/aiqum-jobs/webhooks.yaml': yaml,
          '/run/secrets/billing': 'billing-secret-0123456789\n',
        }),
      },
    );
    const [billing, watch] = config.subscriptions;
    expect(billing).toMatchObject({ id: 'billing', types: ['request.completed'], source: 'config' });
    expect(billing?.secret.reveal()).toBe('billing-secret-0123456789');
    expect(watch).toMatchObject({
      id: 'batch-watch',
      batchId: 'b-1',
      types: ['request.accepted', 'request.completed', 'batch.completed'],
    });
    expect(watch?.secret.reveal()).toBe('watch-secret-0123456789');
    expect(inspect(config)).not.toContain('secret-0123456789');
    expect(JSON.stringify(config)).not.toContain('secret-0123456789');
  });

  it('reports every problem of the file with where it is', () => {
    const yaml = [
      'subscriptions:',
      '  - id: a',
      '    url: ftp://hooks.example.com/',
      '    secret: short',
      '  - id: a',
      '    url: https://user:pw@hooks.example.com/',
      '    types: [request.exploded]',
      '    secretEnv: A_SECRET',
      '  - id: b',
      '    url: https://hooks.example.com/',
      '    secret: long-enough-secret-123',
      '    secretEnv: ALSO',
    ].join('\n');
    const text = problemsOf(() =>
      loadWebhookConfig({ WEBHOOKS_FILE: '/w.yaml' }, { readFile: files({ '/w.yaml': yaml }) }),
    ).join('\n');
    expect(text).toMatch(/WEBHOOKS_FILE \/w\.yaml subscriptions\[0\]\.url: must be an http/);
    expect(text).toMatch(/subscriptions\[0\]\.secret: must be at least 16 characters/);
    expect(text).toMatch(/subscriptions\[1\]\.url: must not contain credentials/);
    expect(text).toMatch(/subscriptions\[1\]\.types\[0\]/);
    expect(text).toMatch(/subscriptions\[2\]\.secret: set exactly one of secret, secretFile, secretEnv/);
  });

  it('reports a secret that cannot be found, and an unreadable file', () => {
    const yaml = 'subscriptions:\n  - { id: a, url: "https://h.example.com/", secretEnv: NOPE }';
    expect(
      problemsOf(() =>
        loadWebhookConfig({ WEBHOOKS_FILE: '/w.yaml' }, { readFile: files({ '/w.yaml': yaml }) }),
      ),
    ).toEqual(['subscription a: secretEnv NOPE is not set']);
    expect(
      problemsOf(() => loadWebhookConfig({ WEBHOOKS_FILE: '/nope' }, { readFile: files({}) }))[0],
    ).toMatch(/^WEBHOOKS_FILE \/nope: cannot be read/);
  });
});
