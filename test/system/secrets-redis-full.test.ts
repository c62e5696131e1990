import { randomBytes } from 'node:crypto';
import { type Simulator, startSimulator } from '@aiqum-jobs/aiqum-simulator';
import { lunRequest, RedisServer, waitUntil } from '@aiqum-jobs/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceProcess, startProducerProcess, startWorkerProcess } from '../src/index.js';

/**
 * A Redis that refuses every write (maxmemory reached, noeviction) while real producer and worker processes,
 * logging at debug, are asked to store requests, batches and webhook subscriptions and to record AIQUM's
 * answers. ioredis hangs each failed command, with its arguments (request bodies, webhook secrets), on its
 * errors; the processes log those errors, and none of the arguments may appear in their logs.
 */

const password = `Pw-${randomBytes(12).toString('hex')}`;
const apiToken = randomBytes(24).toString('hex');
const webhookSecret = `Hook-${randomBytes(16).toString('hex')}`;
const urlPathToken = `path-${randomBytes(12).toString('hex')}`;
const urlQueryToken = `query-${randomBytes(12).toString('hex')}`;
/** Goes into the bodies of the requests: it is in the arguments of every command that stores them. */
const bodyMarker = `body${randomBytes(8).toString('hex')}`;
const bodyMarkerLater = `later${randomBytes(8).toString('hex')}`;

let redisServer: RedisServer;
let admin: Redis;
let aiqum: Simulator;
let worker: ServiceProcess;
let producer: ServiceProcess;

beforeAll(async () => {
  redisServer = await RedisServer.start();
  admin = new Redis(redisServer.url);
  aiqum = await startSimulator({
    seed: 31,
    users: [{ username: 'admin', password, role: 'application_admin' }],
    // Jobs long enough for Redis to be full when the worker records their outcome.
    scenario: { rules: [{ match: { method: 'POST' }, job: { durationMs: { min: 1_500, max: 2_000 } } }] },
  });
  const env = {
    REDIS_URL: redisServer.url,
    AIQUM_JOBS_PREFIX: '{secrets-full}',
    AIQUM_URL: aiqum.url,
    AIQUM_USERNAME: 'admin',
    AIQUM_PASSWORD: password,
    ...(aiqum.caFile === undefined ? {} : { AIQUM_CA_FILE: aiqum.caFile }),
    PRODUCER_API_TOKENS: apiToken,
    WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
    LOG_LEVEL: 'debug',
  };
  worker = await startWorkerProcess(env);
  producer = await startProducerProcess(env);
}, 60_000);

afterAll(async () => {
  try {
    await admin.config('SET', 'maxmemory', '0');
    await Promise.all([worker, producer].map((service) => service?.stop()));
  } finally {
    admin.disconnect();
    await aiqum.close();
    await redisServer.stop();
  }
});

async function api(path: string, body: unknown) {
  const response = await fetch(`${producer.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

describe('a Redis that refuses writes', () => {
  it('keeps request bodies, tokens and webhook secrets out of the logs of the errors', async () => {
    // Accepted while Redis has room; AIQUM's jobs end after Redis is full.
    const accepted = await api('/v1/batches', {
      requests: [0, 1, 2].map((index) => ({ ...lunRequest(`lun_${bodyMarker}_${index}`, { seed: 31 }) })),
    });
    expect(accepted.status, accepted.text).toBe(202);
    await waitUntil(() => Object.keys(aiqum.stats().submissions).length === 3 || undefined, {
      timeoutMs: 20_000,
      what: 'AIQUM to have the three jobs',
    });

    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'maxmemory', '1');

    const refused = [
      await api('/v1/requests', lunRequest(`lun_${bodyMarkerLater}`, { seed: 31 })),
      await api('/v1/batches', { requests: [lunRequest(`lun_${bodyMarkerLater}_b`, { seed: 31 })] }),
      await api('/v1/subscriptions', {
        url: `http://127.0.0.1:9/hooks/${urlPathToken}?token=${urlQueryToken}`,
        secret: webhookSecret,
      }),
    ];
    for (const answer of refused) {
      expect(answer.status, answer.text).toBe(503);
      expect(JSON.parse(answer.text)).toMatchObject({ error: { code: 'STORE_UNAVAILABLE' } });
    }
    // The worker's writes of AIQUM's answers are refused too, and logged.
    await waitUntil(() => worker.output.includes('OOM') || undefined, {
      timeoutMs: 20_000,
      what: 'the worker to log a refused write',
    });

    // Not vacuous: both processes logged Redis's refusals.
    expect(producer.output).toContain('OOM command not allowed');
    expect(worker.output).toContain('OOM command not allowed');
    const secrets = {
      bodyMarker,
      bodyMarkerLater,
      apiToken,
      password,
      webhookSecret,
      urlPathToken,
      urlQueryToken,
    };
    const leaks = Object.entries({ producer: producer.output, worker: worker.output }).flatMap(
      ([process, log]) =>
        Object.entries(secrets)
          .filter(([, secret]) => log.includes(secret))
          .map(([name]) => `${name} in the ${process} log`),
    );
    expect(leaks).toEqual([]);
  });
});
