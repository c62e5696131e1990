import { ConfigError } from '@aiqum-jobs/core';
import { describe, expect, it } from 'vitest';
import { loadProducerConfig } from '../src/index.js';

const target = {
  AIQUM_URL: 'https://aiqum.example.com',
  AIQUM_USERNAME: 'admin',
  AIQUM_PASSWORD: 'secret-pw',
};

describe('loadProducerConfig', () => {
  it('has loopback defaults', () => {
    const config = loadProducerConfig(target);
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      bodyLimitBytes: 8 * 1024 * 1024,
      apiTokens: [],
      logLevel: 'info',
    });
    expect([...config.shared.targets.keys()]).toEqual(['default']);
  });

  it('reads tokens, and keeps them out of JSON', () => {
    const config = loadProducerConfig({
      ...target,
      PRODUCER_HOST: '0.0.0.0',
      PRODUCER_PORT: '9000',
      PRODUCER_API_TOKENS: 'aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbb',
    });
    expect(config.port).toBe(9000);
    expect(config.apiTokens.map((token) => token.reveal())).toEqual([
      'aaaaaaaaaaaaaaaa',
      'bbbbbbbbbbbbbbbbbbbb',
    ]);
    expect(JSON.stringify(config)).not.toContain('aaaaaaaaaaaaaaaa');
  });

  it('refuses short tokens and a non-loopback host without tokens', () => {
    expect(() => loadProducerConfig({ ...target, PRODUCER_API_TOKENS: 'short' })).toThrow(/at least 16/);
    expect(() => loadProducerConfig({ ...target, PRODUCER_HOST: '0.0.0.0' })).toThrow(ConfigError);
    expect(() => loadProducerConfig({ ...target, PRODUCER_HOST: '0.0.0.0' })).toThrow(/loopback only/);
  });

  it('has limits on streams, rates and slow requests, each configurable', () => {
    expect(loadProducerConfig(target).limits).toEqual({
      maxEventStreams: 100,
      maxEventStreamsPerToken: 10,
      rateLimitPerMinute: 1_200,
      loginRateLimitPerMinute: 10,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 60_000,
    });
    const limits = loadProducerConfig({
      ...target,
      PRODUCER_MAX_EVENT_STREAMS: '20',
      PRODUCER_MAX_EVENT_STREAMS_PER_TOKEN: '2',
      PRODUCER_RATE_LIMIT_PER_MINUTE: '60',
      PRODUCER_LOGIN_RATE_LIMIT_PER_MINUTE: '3',
      PRODUCER_HEADERS_TIMEOUT_MS: '2000',
      PRODUCER_REQUEST_TIMEOUT_MS: '30000',
    }).limits;
    expect(limits).toEqual({
      maxEventStreams: 20,
      maxEventStreamsPerToken: 2,
      rateLimitPerMinute: 60,
      loginRateLimitPerMinute: 3,
      headersTimeoutMs: 2_000,
      requestTimeoutMs: 30_000,
    });
    expect(() => loadProducerConfig({ ...target, PRODUCER_MAX_EVENT_STREAMS: '0' })).toThrow(
      /PRODUCER_MAX_EVENT_STREAMS/,
    );
    expect(() =>
      loadProducerConfig({
        ...target,
        PRODUCER_HEADERS_TIMEOUT_MS: '20000',
        PRODUCER_REQUEST_TIMEOUT_MS: '10000',
      }),
    ).toThrow(/PRODUCER_HEADERS_TIMEOUT_MS: must not be longer than PRODUCER_REQUEST_TIMEOUT_MS/);
  });

  it('takes LOG_LEVEL, and says which values it accepts', () => {
    expect(loadProducerConfig({ ...target, LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
    expect(() => loadProducerConfig({ ...target, LOG_LEVEL: 'loud' })).toThrow(
      /LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent/,
    );
  });
});
