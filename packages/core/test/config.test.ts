import { inspect } from 'node:util';
import { ConfigError } from '@aiqum-jobs/contracts';
import { describe, expect, it } from 'vitest';
import { loadSharedConfig } from '../src/index.js';

function files(contents: Record<string, string>): (path: string) => string {
  return (path) => {
    const content = contents[path];
    if (content === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    return content;
  };
}

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadSharedConfig', () => {
  it('builds the default target from the single-target shortcut, with defaults', () => {
    const config = loadSharedConfig({
      AIQUM_URL: 'https://aiqum.example.com',
      AIQUM_USERNAME: 'admin',
      AIQUM_PASSWORD: 's3cret!',
    });
    expect(config.redis).toEqual({ kind: 'server', url: 'redis://127.0.0.1:6379' });
    expect(config.prefix).toBe('{aiqum-jobs}');
    expect(config.retentionSeconds).toBe(7 * 24 * 3600);
    expect(config.maxGroupIdleSeconds).toBe(7 * 24 * 3600);
    const target = config.targets.get('default');
    expect(target).toMatchObject({
      name: 'default',
      url: 'https://aiqum.example.com',
      username: 'admin',
      insecureTls: false,
      limits: { maxConcurrent: 6, maxPerSecond: 20 },
      poll: { initialDelayMs: 1000, multiplier: 1.5, maxDelayMs: 30000, jitter: 0.2 },
    });
    expect(target?.password.reveal()).toBe('s3cret!');
  });

  it('reads a YAML targets file with passwords from a file and an environment variable', () => {
    const yaml = [
      'targets:',
      '  - name: lab',
      '    url: https://lab.example.com:8443',
      '    username: svc',
      '    passwordFile: /run/secrets/lab',
      '    caFile: /etc/ssl/lab-ca.pem',
      '    longPoll: { maxWaitSeconds: 20 }',
      '    limits: { maxConcurrent: 3, maxPerSecond: 5 }',
      '    poll: { initialDelayMs: 500, maxDelayMs: 10000 }',
      '  - name: prod',
      '    url: https://prod.example.com',
      '    username: svc',
      '    passwordEnv: PROD_PASSWORD',
    ].join('\n');
    const config = loadSharedConfig(
      { AIQUM_TARGETS_FILE: '/etc/aiqum/targets.yaml', PROD_PASSWORD: 'p4ss', AIQUM_JOBS_PREFIX: '{lab}' },
      { readFile: files({ '/etc/aiqum/targets.yaml': yaml, '/run/secrets/lab': 'l4b-pass\n' }) },
    );
    expect(config.prefix).toBe('{lab}');
    expect([...config.targets.keys()]).toEqual(['lab', 'prod']);
    const lab = config.targets.get('lab');
    expect(lab?.password.reveal()).toBe('l4b-pass');
    expect(lab?.longPoll).toEqual({
      parameter: 'poll_timeout',
      lastModifiedParameter: 'last_modified',
      maxWaitSeconds: 20,
    });
    expect(lab?.limits).toEqual({ maxConcurrent: 3, maxPerSecond: 5 });
    expect(lab?.poll).toMatchObject({ initialDelayMs: 500, maxDelayMs: 10000, multiplier: 1.5 });
    expect(config.targets.get('prod')?.password.reveal()).toBe('p4ss');
  });

  it('reads a JSON targets file', () => {
    const json = JSON.stringify({
      targets: [
        { name: 'a', url: 'http://127.0.0.1:9000', username: 'u', password: 'p', insecureTls: false },
      ],
    });
    const config = loadSharedConfig(
      { AIQUM_TARGETS_FILE: 't.json' },
      { readFile: files({ 't.json': json }) },
    );
    expect(config.targets.get('a')?.url).toBe('http://127.0.0.1:9000');
  });

  it('never shows a password when the config is logged, inspected or serialised', () => {
    const config = loadSharedConfig({
      AIQUM_URL: 'https://aiqum.example.com',
      AIQUM_USERNAME: 'admin',
      AIQUM_PASSWORD: 'hunter2-very-secret',
    });
    const views = [
      JSON.stringify([...config.targets.values()]),
      inspect(config, { depth: 10 }),
      `${config.targets.get('default')?.password}`,
    ];
    for (const view of views) expect(view).not.toContain('hunter2-very-secret');
  });

  it('reports every bad value at once with where it comes from', () => {
    const error = configError(() =>
      loadSharedConfig({
        REDIS_URL: 'http://nope',
        AIQUM_JOBS_PREFIX: 'aiqum-jobs',
        AIQUM_JOBS_MAX_GROUP_IDLE_SECONDS: '10',
        AIQUM_INSECURE_TLS: 'maybe',
      }),
    );
    expect(error.problems).toEqual([
      'environment REDIS_URL: must be a redis:// or rediss:// URL',
      expect.stringMatching(/^environment AIQUM_JOBS_PREFIX: must be a Redis Cluster hash tag/),
      expect.stringMatching(/^environment AIQUM_JOBS_MAX_GROUP_IDLE_SECONDS: Too small/),
      'environment AIQUM_INSECURE_TLS: must be true or false',
    ]);
    expect(error.message).toContain('invalid configuration');
  });

  it('names the field and entry of a bad targets file', () => {
    const yaml =
      'targets:\n  - name: lab\n    url: ftp://x\n    username: u\n    password: p\n    limits: { maxConcurrent: 0 }\n';
    const error = configError(() =>
      loadSharedConfig({ AIQUM_TARGETS_FILE: 'targets.yaml' }, { readFile: files({ 'targets.yaml': yaml }) }),
    );
    expect(error.problems).toEqual([
      expect.stringMatching(/^AIQUM_TARGETS_FILE targets\.yaml targets\[0\]\.url: must be an http\(s\) URL/),
      expect.stringMatching(/^AIQUM_TARGETS_FILE targets\.yaml targets\[0\]\.limits\.maxConcurrent: /),
    ]);
  });

  it('rejects a URL with a path, duplicate names, two password sources and unknown keys', () => {
    const doc = {
      targets: [
        { name: 'a', url: 'https://h/api', username: 'u', password: 'p' },
        { name: 'a', url: 'https://h', username: 'u', password: 'p', passwordEnv: 'X', colour: 'blue' },
      ],
    };
    const error = configError(() =>
      loadSharedConfig({ AIQUM_TARGETS_FILE: 'f' }, { readFile: files({ f: JSON.stringify(doc) }) }),
    );
    const text = error.problems.join('\n');
    expect(text).toContain('targets[0].url: must be the server origin only');
    expect(text).toMatch(/targets\[1\]: Unrecognized key: "colour"/);
    expect(error.problems.length).toBeGreaterThanOrEqual(2);
  });

  it('explains a missing target, an unreadable file, bad YAML and a missing password variable', () => {
    expect(configError(() => loadSharedConfig({})).problems[0]).toMatch(/^no AIQUM target configured/);
    expect(
      configError(() => loadSharedConfig({ AIQUM_TARGETS_FILE: '/nope' }, { readFile: files({}) }))
        .problems[0],
    ).toMatch(/^AIQUM_TARGETS_FILE \/nope: cannot be read/);
    expect(
      configError(() =>
        loadSharedConfig({ AIQUM_TARGETS_FILE: 'f' }, { readFile: files({ f: 'targets: [' }) }),
      ).problems[0],
    ).toMatch(/is neither valid JSON nor YAML/);
    const doc = JSON.stringify({
      targets: [{ name: 'a', url: 'https://h', username: 'u', passwordEnv: 'MISSING' }],
    });
    expect(
      configError(() => loadSharedConfig({ AIQUM_TARGETS_FILE: 'f' }, { readFile: files({ f: doc }) }))
        .problems,
    ).toEqual(['target a: passwordEnv MISSING is not set']);
  });

  it('refuses the targets file and the shortcut together', () => {
    const error = configError(() => loadSharedConfig({ AIQUM_TARGETS_FILE: 'f', AIQUM_URL: 'https://h' }));
    expect(error.problems[0]).toMatch(/either AIQUM_TARGETS_FILE or the single-target shortcut/);
  });

  it('reads an optional metrics token, kept as a secret, and refuses a short one', () => {
    const shortcut = { AIQUM_URL: 'https://h', AIQUM_USERNAME: 'u', AIQUM_PASSWORD: 'p' };
    expect(loadSharedConfig(shortcut).metricsToken).toBeUndefined();
    const config = loadSharedConfig({ ...shortcut, AIQUM_JOBS_METRICS_TOKEN: 'scrape-token-0123456789' });
    expect(config.metricsToken?.reveal()).toBe('scrape-token-0123456789');
    expect(inspect(config)).not.toContain('scrape-token-0123456789');
    expect(
      configError(() => loadSharedConfig({ ...shortcut, AIQUM_JOBS_METRICS_TOKEN: 'short' })).problems[0],
    ).toMatch(/AIQUM_JOBS_METRICS_TOKEN.*at least 16 characters/);
  });

  describe('Redis Cluster', () => {
    const target = { AIQUM_URL: 'https://h', AIQUM_USERNAME: 'u', AIQUM_PASSWORD: 'p' };

    it("reads REDIS_CLUSTER_NODES as the cluster's seed nodes", () => {
      const config = loadSharedConfig({
        ...target,
        REDIS_CLUSTER_NODES: ' rediss://app:s3cret@10.0.0.1:6379 ,rediss://app:s3cret@10.0.0.2:6380,',
      });
      expect(config.redis).toEqual({
        kind: 'cluster',
        nodes: ['rediss://app:s3cret@10.0.0.1:6379', 'rediss://app:s3cret@10.0.0.2:6380'],
      });
    });

    it('refuses REDIS_URL and REDIS_CLUSTER_NODES together', () => {
      const error = configError(() =>
        loadSharedConfig({
          ...target,
          REDIS_URL: 'redis://10.0.0.1:6379',
          REDIS_CLUSTER_NODES: 'redis://10.0.0.1:6379',
        }),
      );
      expect(error.problems).toEqual([
        'set either REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both',
      ]);
    });

    it('names the node that is not a URL, and nodes that disagree', () => {
      expect(
        configError(() => loadSharedConfig({ ...target, REDIS_CLUSTER_NODES: 'redis://a:1,10.0.0.2:6379' }))
          .problems,
      ).toEqual([
        'environment REDIS_CLUSTER_NODES[1]: must be a redis:// or rediss:// URL such as redis://10.0.0.1:6379',
      ]);
      expect(configError(() => loadSharedConfig({ ...target, REDIS_CLUSTER_NODES: ' , ' })).problems).toEqual(
        ['environment REDIS_CLUSTER_NODES: list at least one node URL'],
      );
      expect(
        configError(() =>
          loadSharedConfig({ ...target, REDIS_CLUSTER_NODES: 'redis://a:1,rediss://b:1,redis://c:1/2' }),
        ).problems,
      ).toEqual([
        'environment REDIS_CLUSTER_NODES: every node must use the same scheme (redis:// or rediss://) and the same credentials',
        'environment REDIS_CLUSTER_NODES: a Redis Cluster has database 0 only: leave out the /db path',
      ]);
    });
  });
});
