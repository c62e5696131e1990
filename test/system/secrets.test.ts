import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Simulator, startSimulator } from '@aiqum-jobs/aiqum-simulator';
import { createRedisKeys, type RequestView } from '@aiqum-jobs/contracts';
import {
  freePort,
  type HttpReceiver,
  lunRequest,
  startHttpReceiver,
  type TestRedis,
  useTestRedis,
  waitUntil,
} from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceProcess, startProducerProcess, startWorkerProcess } from '../src/index.js';

/**
 * A whole batch through real producer and worker processes, logging at debug, against one AIQUM reached
 * through four targets: the right credentials and CA, a wrong password (AIQUM answers 401), no CA, and the
 * CA of another server. No password, API token, Basic value or Authorization value may appear in any log
 * line, API answer or event; the failures must say what went wrong. Its events go to two webhooks that
 * fail (a receiver answering 500, a port nobody listens on) until they are dead-lettered: their secrets,
 * and the tokens in their URLs' path and query, must stay out of every log, which names only the origin.
 */

const password = `Pw-${randomBytes(12).toString('hex')}`;
const wrongPassword = `Wrong-${randomBytes(12).toString('hex')}`;
const apiToken = randomBytes(24).toString('hex');
const rejectedToken = randomBytes(24).toString('hex');
const webhookSecret = `Hook-${randomBytes(16).toString('hex')}`;
const fileWebhookSecret = `FileHook-${randomBytes(16).toString('hex')}`;
const urlPathToken = `path-${randomBytes(12).toString('hex')}`;
const urlQueryToken = `query-${randomBytes(12).toString('hex')}`;
/** What a receiver may carry in a webhook URL; only the origin may be logged. */
const hookPath = `/hooks/${urlPathToken}?token=${urlQueryToken}`;

let redis: TestRedis;
let aiqum: Simulator;
/** Only its CA is used: a CA that did not sign the AIQUM certificate. */
let otherServer: Simulator;
/** Answers every delivery 500: each is retried, then dead-lettered. */
let failingReceiver: HttpReceiver;
/** A loopback port nobody listens on: every delivery is refused. */
let refusedPort: number;
let workDir: string;
const workers: ServiceProcess[] = [];
let producer: ServiceProcess;

beforeAll(async () => {
  redis = await useTestRedis();
  aiqum = await startSimulator({
    seed: 21,
    users: [{ username: 'admin', password, role: 'application_admin' }],
    scenario: { rules: [{ match: { method: 'POST' }, job: { durationMs: { min: 100, max: 600 } } }] },
  });
  otherServer = await startSimulator({ seed: 22 });
  failingReceiver = await startHttpReceiver(() => ({ status: 500 }));
  refusedPort = await freePort();
  workDir = mkdtempSync(join(tmpdir(), 'aiqum-jobs-secrets-'));
  const common = {
    url: aiqum.url,
    username: 'admin',
    poll: { initialDelayMs: 100, multiplier: 1.5, maxDelayMs: 500 },
    timeoutMs: 5_000,
  };
  const targetsFile = join(workDir, 'targets.json');
  writeFileSync(
    targetsFile,
    JSON.stringify({
      targets: [
        { ...common, name: 'lab', passwordEnv: 'LAB_PASSWORD', caFile: aiqum.caFile },
        { ...common, name: 'bad-password', passwordEnv: 'WRONG_PASSWORD', caFile: aiqum.caFile },
        { ...common, name: 'no-ca', passwordEnv: 'LAB_PASSWORD' },
        { ...common, name: 'wrong-ca', passwordEnv: 'LAB_PASSWORD', caFile: otherServer.caFile },
      ],
    }),
  );
  const webhooksFile = join(workDir, 'webhooks.json');
  writeFileSync(
    webhooksFile,
    JSON.stringify({
      subscriptions: [
        {
          id: 'refused',
          url: `http://127.0.0.1:${refusedPort}${hookPath}`,
          types: ['batch.completed'],
          secretEnv: 'HOOK_SECRET',
        },
      ],
    }),
  );
  const env = {
    REDIS_URL: redis.url,
    AIQUM_JOBS_PREFIX: redis.prefix,
    AIQUM_TARGETS_FILE: targetsFile,
    LAB_PASSWORD: password,
    WRONG_PASSWORD: wrongPassword,
    PRODUCER_API_TOKENS: apiToken,
    WEBHOOKS_FILE: webhooksFile,
    HOOK_SECRET: fileWebhookSecret,
    WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
    WEBHOOK_MAX_ATTEMPTS: '2',
    WEBHOOK_BACKOFF_MS: '50',
    // Everything a process can log, so that a leak anywhere shows.
    LOG_LEVEL: 'debug',
  };
  workers.push(await startWorkerProcess(env), await startWorkerProcess(env));
  producer = await startProducerProcess(env);
}, 60_000);

afterAll(async () => {
  try {
    await Promise.all([...workers, producer].map((service) => service?.stop()));
  } finally {
    await aiqum.close();
    await otherServer.close();
    await failingReceiver.close();
    await redis.close();
    rmSync(workDir, { recursive: true, force: true });
  }
});

async function api(path: string, init: { method?: string; body?: unknown; token?: string } = {}) {
  const response = await fetch(`${producer.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${init.token ?? apiToken}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, text: await response.text() };
}

describe('secrets never leave the processes', () => {
  it('keeps passwords, tokens, Authorization values, webhook secrets and URLs out of logs, answers and events', async () => {
    const requests: object[] = [];
    const writes = (target: string, count: number, svm = 'vs1') => {
      for (let index = 0; index < count; index += 1) {
        requests.push({ target, ...lunRequest(`lun_${target}_${svm}_${index}`, { svm, seed: 21 }) });
      }
    };
    const reads = (target: string, count: number) => {
      for (let index = 0; index < count; index += 1) {
        requests.push({ target, method: 'GET', path: `/api/datacenter/svm/svms?name=vs${index + 1}` });
      }
    };
    writes('lab', 12);
    reads('lab', 3);
    writes('lab', 3, 'vs_none'); // AIQUM rejects them: its error body travels into the record
    for (const target of ['bad-password', 'no-ca', 'wrong-ca']) {
      writes(target, 3);
      reads(target, 2);
    }

    // The API's own refusals, with a token of the right length that is not configured, and none at all.
    expect(
      (await api('/v1/batches', { method: 'POST', body: { requests }, token: rejectedToken })).status,
    ).toBe(401);
    expect((await fetch(`${producer.url}/v1/batches`, { method: 'POST' })).status).toBe(401);

    const subscribed = await api('/v1/subscriptions', {
      method: 'POST',
      body: {
        url: `${failingReceiver.url}${hookPath}`,
        types: ['request.completed', 'batch.completed'],
        secret: webhookSecret,
      },
    });
    expect(subscribed.status, subscribed.text).toBe(201);
    const subscriptionId = (JSON.parse(subscribed.text) as { id: string }).id;

    const submitted = await api('/v1/batches', { method: 'POST', body: { requests } });
    expect(submitted.status, submitted.text).toBe(202);
    const { batchId } = JSON.parse(submitted.text) as { batchId: string };
    await waitUntil(
      async () =>
        (JSON.parse((await api(`/v1/batches/${batchId}`)).text) as { done: boolean }).done || undefined,
      { timeoutMs: 60_000, intervalMs: 250, what: `batch ${batchId} to complete` },
    );
    const page = await api(`/v1/batches/${batchId}/requests?limit=1000`);
    const views = (JSON.parse(page.text) as { requests: RequestView[] }).requests;
    expect(views).toHaveLength(requests.length);

    const byTarget = (target: string) => views.filter((view) => view.target === target);
    const summary = (target: string) =>
      byTarget(target).map((view) => `${view.outcome} ${view.error?.code ?? ''}`.trim());
    expect(new Set(summary('lab'))).toEqual(new Set(['succeeded', 'failed AIQUM_BAD_REQUEST']));
    expect(summary('bad-password')).toEqual(Array(5).fill('failed AIQUM_UNAUTHORIZED'));
    for (const target of ['no-ca', 'wrong-ca']) {
      expect(summary(target)).toEqual(Array(5).fill('failed AIQUM_CONNECTION_ERROR'));
      for (const view of byTarget(target)) {
        expect(view.error?.message).toMatch(
          /TLS certificate not trusted .*configure .*CA that signed the AIQUM certificate/,
        );
      }
    }
    // A refused certificate means nothing was sent: AIQUM saw only the lab and bad-password calls.
    const submissions = aiqum.stats().submissions;
    expect(Math.max(...Object.values(submissions))).toBe(1);
    const sentIds = new Set(Object.keys(submissions));
    for (const view of [...byTarget('no-ca'), ...byTarget('wrong-ca')])
      expect(sentIds.has(view.requestId)).toBe(false);

    // Every delivery failed until it was dead-lettered (after 2 attempts, or 1 when it cannot succeed).
    const deadLetters = async (id: string) =>
      (JSON.parse((await api(`/v1/subscriptions/${id}/dead-letters`)).text) as { total: number }).total;
    await waitUntil(
      async () =>
        (await deadLetters(subscriptionId)) === views.length + 1 && (await deadLetters('refused')) === 1,
      { timeoutMs: 30_000, intervalMs: 250, what: 'every webhook delivery to be dead-lettered' },
    );
    const deadLettered = () =>
      workers
        .map((worker) => worker.output)
        .join('')
        .split('webhook delivery dead-lettered').length - 1;
    await waitUntil(() => deadLettered() === views.length + 2, { what: 'the dead letters to be logged' });
    expect(failingReceiver.requests).toHaveLength(2 * (views.length + 1));

    const connection = redis.connect();
    const entries = await connection.xrange(createRedisKeys(redis.prefix).events, '-', '+');
    const events = entries.map(([, fields]) => fields.join('\n')).join('\n');
    const records = await Promise.all(views.map((view) => api(`/v1/requests/${view.requestId}`)));

    const basic = (secret: string) => Buffer.from(`admin:${secret}`).toString('base64');
    const secrets = {
      password,
      wrongPassword,
      apiToken,
      rejectedToken,
      basic: basic(password),
      wrongBasic: basic(wrongPassword),
      webhookSecret,
      fileWebhookSecret,
      'a webhook URL path': urlPathToken,
      'a webhook URL query': urlQueryToken,
    };
    const places: Record<string, string> = {
      'producer log': producer.output,
      ...Object.fromEntries(workers.map((worker, index) => [`worker ${index} log`, worker.output])),
      'batch page': page.text,
      'request records': records.map((record) => record.text).join('\n'),
      events,
    };
    // The check is not vacuous: the processes logged the calls, the failures and the API's refusals.
    const workerLog = workers.map((worker) => worker.output).join('');
    expect(workerLog).toContain('AIQUM_UNAUTHORIZED');
    expect(workerLog).toContain('AIQUM_CONNECTION_ERROR');
    expect(workerLog).toContain('"msg":"AIQUM request"');
    expect(producer.output).toContain('"statusCode":401');
    expect(workerLog).toContain('webhook delivery failed; it will be retried');
    expect(workerLog).toContain(`"origin":"${failingReceiver.url}"`);
    expect(workerLog).toContain('answered 500');
    expect(workerLog).toContain(`"origin":"http://127.0.0.1:${refusedPort}"`);
    expect(workerLog).toContain('could not deliver (ECONNREFUSED)');
    const found: Record<string, (text: string) => boolean> = {
      ...Object.fromEntries(
        Object.entries(secrets).map(([name, secret]) => [name, (text: string) => text.includes(secret)]),
      ),
      'a Basic value': (text) => /Basic [A-Za-z0-9+/]{8,}/.test(text),
      'a Bearer value': (text) => /Bearer [^\s"]{8,}/i.test(text),
      'an Authorization value': (text) => /"authorization":"(?!\[Redacted\])/i.test(text),
    };
    const leaks = Object.entries(places).flatMap(([place, text]) =>
      Object.entries(found)
        .filter(([, isIn]) => isIn(text))
        .map(([name]) => `${name} in the ${place}`),
    );
    expect(leaks).toEqual([]);

    const logLines = Object.entries(places)
      .filter(([place]) => place.endsWith('log'))
      .reduce((sum, [, text]) => sum + text.split('\n').filter(Boolean).length, 0);
    const byOutcome: Record<string, number> = {};
    for (const view of views) {
      const key = `${view.outcome} ${view.error?.code ?? ''}`.trim();
      byOutcome[key] = (byOutcome[key] ?? 0) + 1;
    }
    console.info(
      `secrets: ${JSON.stringify({ requests: views.length, byOutcome, logLines, checks: Object.keys(found).length, places: Object.keys(places).length, leaks: leaks.length })}`,
    );
  });
});
