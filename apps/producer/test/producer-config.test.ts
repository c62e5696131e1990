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
    expect(config.apiTokens.map((token) => token.token.reveal())).toEqual([
      'aaaaaaaaaaaaaaaa',
      'bbbbbbbbbbbbbbbbbbbb',
    ]);
    // Tokens of PRODUCER_API_TOKENS predate scopes: each may still do everything.
    expect(config.apiTokens.map(({ name, scopes }) => ({ name, scopes }))).toEqual([
      { name: 'token-1', scopes: ['admin'] },
      { name: 'token-2', scopes: ['admin'] },
    ]);
    expect(JSON.stringify(config)).not.toContain('aaaaaaaaaaaaaaaa');
  });

  it('refuses short tokens and a non-loopback host without tokens', () => {
    expect(() => loadProducerConfig({ ...target, PRODUCER_API_TOKENS: 'short' })).toThrow(/at least 16/);
    expect(() => loadProducerConfig({ ...target, PRODUCER_HOST: '0.0.0.0' })).toThrow(ConfigError);
    expect(() => loadProducerConfig({ ...target, PRODUCER_HOST: '0.0.0.0' })).toThrow(/loopback only/);
  });

  it('takes LOG_LEVEL, and says which values it accepts', () => {
    expect(loadProducerConfig({ ...target, LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
    expect(() => loadProducerConfig({ ...target, LOG_LEVEL: 'loud' })).toThrow(
      /LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent/,
    );
  });
});
