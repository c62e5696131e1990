import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.js';
import { basicAuth, call, jobKeyOf, lunBody, obj } from './helpers.js';

describe('auth and errors', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ tls: false });
  });
  afterAll(() => sim.close());

  it('answers 401 with a Basic challenge and an AIQUM error body', async () => {
    const none = await call(sim, 'GET', '/api/datacenter/cluster/clusters', { user: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Basic realm="AIQUM"');
    expect(obj(none.body).error).toEqual({ message: expect.any(String), code: '6' });
    const wrong = await fetch(`${sim.url}/api/datacenter/cluster/clusters`, {
      headers: { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` },
    });
    expect(wrong.status).toBe(401);
  });

  it('lets an operator read but not write, and keeps /_sim/ for application administrators', async () => {
    expect((await call(sim, 'GET', '/api/storage-provider/luns', { user: 'operator' })).status).toBe(200);
    const write = await call(sim, 'POST', '/api/storage-provider/luns', {
      user: 'operator',
      body: lunBody('op'),
    });
    expect(write.status).toBe(403);
    expect(obj(write.body).error).toEqual({ message: expect.any(String), code: '7' });
    expect((await call(sim, 'GET', '/_sim/stats', { user: 'storage' })).status).toBe(403);
    expect((await call(sim, 'GET', '/_sim/stats', { user: 'admin' })).status).toBe(200);
    const storageWrite = await call(sim, 'POST', '/api/storage-provider/luns', {
      user: 'storage',
      body: lunBody('st'),
    });
    expect(storageWrite.status).toBe(202);
  });

  it('answers 404, 405 and 400 with error bodies whose codes are strings', async () => {
    const unknown = await call(sim, 'GET', '/api/nothing/here');
    expect(unknown.status).toBe(404);
    expect(obj(unknown.body).error).toEqual({ code: '4', message: expect.any(String) });
    const missing = await call(sim, 'GET', '/api/storage-provider/luns/no-such-key');
    expect(missing.status).toBe(404);

    const method = await call(sim, 'PUT', '/api/storage-provider/luns');
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toContain('POST');
    expect(typeof obj(obj(method.body).error).code).toBe('string');

    const badJson = await call(sim, 'POST', '/api/storage-provider/luns', { body: '{"name": ' });
    expect(badJson.status).toBe(400);
    expect(obj(badJson.body).error).toEqual({ target: 'body', code: '262179', message: expect.any(String) });

    const noBody = await call(sim, 'POST', '/api/storage-provider/luns');
    expect(noBody.status).toBe(400);
    const wrongType = await call(sim, 'POST', '/api/storage-provider/luns', {
      body: JSON.stringify(lunBody('x')),
      headers: { 'content-type': 'text/plain' },
    });
    expect(wrongType.status).toBe(415);
  });

  it('counts requests per route template and status', async () => {
    const stats = sim.stats();
    expect(stats.requests['GET /api/storage-provider/luns/{key}']).toEqual({ '404': 1 });
    expect(stats.requests['PUT (unmatched)']).toEqual({ '405': 1 });
    // This file's requests came one at a time.
    expect(stats.peakConcurrentRequests).toBe(1);
  });

  it('counts the most requests it was answering at once', async () => {
    // Three long polls held on a job whose clock stands still: three requests at once, for sure.
    let now = Date.parse('2025-01-01T00:00:00Z');
    await using held = await startSimulator({
      tls: false,
      longPoll: true,
      now: () => now,
      scenario: { rules: [{ job: { durationMs: 1_000 } }] },
    });
    const key = jobKeyOf(
      (await call(held, 'POST', '/api/storage-provider/luns', { body: lunBody('p1') })).body,
    );
    const poll = () =>
      call(held, 'GET', `/api/management-server/jobs/${encodeURIComponent(key)}?poll_timeout=120`);
    const polls = [poll(), poll(), poll()];
    while (held.stats().polls[key] !== 3) await new Promise((resolve) => setImmediate(resolve));
    expect(held.stats().peakConcurrentRequests).toBe(3);
    // The end of the job answers them; the admin request that settles it is not counted.
    now += 1_000;
    await call(held, 'GET', '/_sim/stats');
    expect((await Promise.all(polls)).map((answer) => obj(answer.body).state)).toEqual([
      'completed',
      'completed',
      'completed',
    ]);
    expect(held.stats().peakConcurrentRequests).toBe(3);
  });
});

describe('auth errors without a JSON body (authErrorBody)', () => {
  it('answers 401 and 403 as text/plain with `text`, and with no body at all with `empty`', async () => {
    for (const authErrorBody of ['text', 'empty'] as const) {
      await using sim = await startSimulator({ tls: false, authErrorBody });
      const operator = sim.users.find((u) => u.role === 'operator');
      if (!operator) throw new Error('no operator');
      const none = await fetch(`${sim.url}/api/datacenter/cluster/clusters`);
      const refused = await fetch(`${sim.url}/api/storage-provider/luns`, {
        method: 'POST',
        headers: { authorization: basicAuth(operator), 'content-type': 'application/json' },
        body: '{}',
      });
      expect([none.status, refused.status]).toEqual([401, 403]);
      expect(none.headers.get('www-authenticate')).toBe('Basic realm="AIQUM"');
      for (const answer of [none, refused]) {
        const text = await answer.text();
        if (authErrorBody === 'empty') {
          expect(text).toBe('');
          expect(answer.headers.get('content-type')).toBeNull();
        } else {
          expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
          expect(text).toMatch(/^(Unauthorized|Forbidden)$/);
        }
      }
      // Other errors keep their JSON body.
      const missing = await call(sim, 'GET', '/api/nothing/here');
      expect(obj(missing.body).error).toMatchObject({ code: '4' });
    }
  });
});

describe('logging', () => {
  it('logs requests as JSON without passwords or Authorization values', async () => {
    const chunks: string[] = [];
    const logger = pino(
      { level: 'debug' },
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          chunks.push(chunk.toString('utf8'));
          callback();
        },
      }),
    );
    await using sim = await startSimulator({ tls: false, logger });
    expect((await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody('logged') })).status).toBe(
      202,
    );
    expect((await call(sim, 'GET', '/api/storage-provider/luns', { user: 'operator' })).status).toBe(200);
    const lines = chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.some((l) => l.msg === 'request' && l.path === '/api/storage-provider/luns')).toBe(true);
    const text = chunks.join('');
    for (const user of sim.users) {
      expect(text).not.toContain(user.password);
      expect(text).not.toContain(basicAuth(user).slice(6));
    }
  });
});
