import { ConfigError } from '@aiqum-jobs/contracts';
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

  describe('named tokens', () => {
    const readOnly = { name: 'grafana', token: 'grafana-token-0123456789', scopes: ['read'] };
    const files: Record<string, string> = {
      '/etc/aiqum/tokens.yaml': [
        'tokens:',
        '  - name: ci',
        '    tokenFile: /run/secrets/ci-token',
        '    scopes: [submit, read]',
        '    targets: [default]',
        '  - name: ops',
        '    tokenEnv: OPS_TOKEN',
        '    scopes: [admin]',
      ].join('\n'),
      '/run/secrets/ci-token': 'ci-token-0123456789abcdef\n',
    };
    const readFile = (path: string) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    };
    const load = (env: Record<string, string>) => loadProducerConfig({ ...target, ...env }, { readFile });
    const problemsOf = (env: Record<string, string>) => {
      try {
        load(env);
      } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
      }
      throw new Error('the configuration loaded');
    };

    it('reads names, scopes and targets from PRODUCER_TOKENS_FILE and PRODUCER_TOKENS, after PRODUCER_API_TOKENS', () => {
      const config = load({
        PRODUCER_HOST: '0.0.0.0',
        PRODUCER_API_TOKENS: 'aaaaaaaaaaaaaaaa',
        PRODUCER_TOKENS_FILE: '/etc/aiqum/tokens.yaml',
        PRODUCER_TOKENS: JSON.stringify({ tokens: [readOnly] }),
        OPS_TOKEN: 'ops-token-0123456789abcdef',
      });
      expect(
        config.apiTokens.map(({ name, token, scopes, targets }) => ({
          name,
          token: token.reveal(),
          scopes,
          targets,
        })),
      ).toEqual([
        { name: 'token-1', token: 'aaaaaaaaaaaaaaaa', scopes: ['admin'], targets: undefined },
        { name: 'ci', token: 'ci-token-0123456789abcdef', scopes: ['submit', 'read'], targets: ['default'] },
        { name: 'ops', token: 'ops-token-0123456789abcdef', scopes: ['admin'], targets: undefined },
        { name: 'grafana', token: 'grafana-token-0123456789', scopes: ['read'], targets: undefined },
      ]);
      expect(JSON.stringify(config)).not.toContain('token-0123456789');
    });

    it('names every problem: unknown scope, duplicate name or token, short token, unknown target', () => {
      const tokens = [{ name: 'a', token: 'a-token-0123456789abcdef', scopes: ['read', 'delete'] }];
      expect(problemsOf({ PRODUCER_TOKENS: JSON.stringify({ tokens }) })).toEqual([
        'PRODUCER_TOKENS tokens[0].scopes[1]: must be one of read, submit, cancel, subscriptions, admin',
      ]);
      expect(
        problemsOf({
          PRODUCER_API_TOKENS: 'same-token-0123456789',
          PRODUCER_TOKENS: JSON.stringify({
            tokens: [
              { name: 'a', token: 'a-token-0123456789abcdef', scopes: ['read'] },
              { name: 'a', token: 'other-token-0123456789', scopes: ['read'] },
              { name: 'b', token: 'same-token-0123456789', scopes: ['read'] },
              { name: 'c', token: 'short', scopes: ['read'] },
              { name: 'd', token: 'd-token-0123456789abcdef', scopes: ['submit'], targets: ['nowhere'] },
            ],
          }),
        }),
      ).toEqual([
        'token c: the token is shorter than 16 characters',
        'token d: targets nowhere are not configured (configured: default)',
        'token a: another token has this name',
        'token b: the same token as token-1',
      ]);
    });

    it('refuses an entry without a token source, or with two, or without scopes', () => {
      const entries = [
        { name: 'a', scopes: ['read'] },
        { name: 'b', token: 'b-token-0123456789abcdef', tokenEnv: 'B_TOKEN', scopes: ['read'] },
        { name: 'c', token: 'c-token-0123456789abcdef', scopes: [] },
      ];
      expect(problemsOf({ PRODUCER_TOKENS: JSON.stringify({ tokens: entries }) })).toEqual([
        'PRODUCER_TOKENS tokens[0].token: set exactly one of token, tokenFile, tokenEnv',
        'PRODUCER_TOKENS tokens[1].token: set exactly one of token, tokenFile, tokenEnv',
        'PRODUCER_TOKENS tokens[2].scopes: list at least one scope',
      ]);
      expect(problemsOf({ PRODUCER_TOKENS: '{tokens' })[0]).toMatch(/^PRODUCER_TOKENS: is not JSON/);
      expect(problemsOf({ PRODUCER_TOKENS_FILE: '/etc/aiqum/missing.yaml' })[0]).toMatch(
        /^PRODUCER_TOKENS_FILE \/etc\/aiqum\/missing.yaml: cannot be read/,
      );
      expect(problemsOf({ PRODUCER_TOKENS_FILE: '/etc/aiqum/tokens.yaml' })).toEqual([
        'token ops: tokenEnv OPS_TOKEN is not set',
      ]);
    });

    it('lets named tokens alone open a non-loopback host', () => {
      const config = load({
        PRODUCER_HOST: '0.0.0.0',
        PRODUCER_TOKENS: JSON.stringify({ tokens: [readOnly] }),
      });
      expect(config.apiTokens.map((token) => token.name)).toEqual(['grafana']);
    });
  });
});
