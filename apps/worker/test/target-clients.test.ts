import { createLogger, createRedisKeys } from '@aiqum-jobs/contracts';
import { Secret, TargetCallGate, type TargetConfig } from '@aiqum-jobs/core';
import { logSink } from '@aiqum-jobs/test-support';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { closeTargetClients, createTargetClients } from '../src/target-clients.js';
import { createWorkerMetrics } from '../src/worker-metrics.js';
import { testPollPolicy } from './harness.js';

function target(name: string, url: string, insecureTls = false): TargetConfig {
  return {
    name,
    url,
    username: 'u',
    password: new Secret('p'),
    insecureTls,
    limits: { maxConcurrent: 2, maxPerSecond: 10 },
    poll: testPollPolicy,
    defaultDeadlineSeconds: 60,
    nameCacheSeconds: 60,
    timeoutMs: 5_000,
    clockSkewMs: 5_000,
  };
}

describe('createTargetClients', () => {
  it('warns at start-up once per target reached over plain http, naming it, like insecureTls', async () => {
    const sink = logSink();
    const logger = createLogger({ name: 'worker-test', destination: sink.destination });
    // Never connects: the clients make no call here.
    const redis = new Redis({ lazyConnect: true });
    const names = ['plain', 'plain-too', 'tls', 'insecure'];
    const targets = createTargetClients({
      targets: new Map(
        [
          target('plain', 'http://aiqum-a.test:8080'),
          target('plain-too', 'http://aiqum-b.test'),
          target('tls', 'https://aiqum-c.test'),
          target('insecure', 'https://aiqum-d.test', true),
        ].map((config) => [config.name, config]),
      ),
      logger,
      gate: new TargetCallGate(redis, createRedisKeys('test')),
      aiqumResponses: createWorkerMetrics(new Registry(), names).aiqumResponses,
    });
    await closeTargetClients(targets);
    redis.disconnect();

    const plain = sink.lines().filter((line) => line.level === 40 && /plain HTTP/.test(String(line.msg)));
    expect(plain.map((line) => [line.target, line.baseUrl])).toEqual([
      ['plain', 'http://aiqum-a.test:8080'],
      ['plain-too', 'http://aiqum-b.test'],
    ]);
    const insecure = sink
      .lines()
      .filter((line) => line.level === 40 && /verification is OFF/.test(String(line.msg)));
    expect(insecure.map((line) => line.target)).toEqual(['insecure']);
  });
});
