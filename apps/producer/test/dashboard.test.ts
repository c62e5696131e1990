import { BearerTokens, Secret } from '@aiqum-jobs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardSessions } from '../src/dashboard-sessions.js';
import { auth, type Harness, labLun, startHarness, testToken } from './harness.js';

const html = { accept: 'text/html,application/xhtml+xml' };
const form = { 'content-type': 'application/x-www-form-urlencoded' };
const hour = 60 * 60 * 1000;

describe('the dashboard behind bearer tokens', () => {
  let h: Harness;
  let now = Date.parse('2025-01-01T00:00:00Z');
  beforeAll(async () => {
    h = await startHarness({ now: () => now });
  });
  afterAll(() => h.close());

  async function login(token = testToken, headers: Record<string, string> = {}, next?: string) {
    const query = next === undefined ? '' : `?next=${encodeURIComponent(next)}`;
    return h.server.inject({
      method: 'POST',
      url: `/dashboard/login${query}`,
      headers: { ...form, ...headers },
      payload: new URLSearchParams({ token }).toString(),
    });
  }

  async function sessionCookie(): Promise<string> {
    const response = await login();
    const cookie = String(response.headers['set-cookie']);
    return cookie.slice(0, cookie.indexOf(';'));
  }

  it('sends a browser without a session to the login page, and answers other requests 401', async () => {
    for (const url of ['/dashboard', '/dashboard/batches/b-1', '/dashboard/queues']) {
      const page = await h.server.inject({ url, headers: html });
      expect(page.statusCode, url).toBe(302);
      expect(page.headers.location).toBe(`/dashboard/login?next=${encodeURIComponent(url)}`);
    }
    for (const url of ['/dashboard/queues/api/queues', '/v1/batches', '/v1/events']) {
      const response = await h.server.inject({ url });
      expect(response.statusCode, url).toBe(401);
      expect(response.json().error.code).toBe('UNAUTHORIZED');
    }
  });

  it('serves the login form and the pages’ files without a session', async () => {
    const page = await h.server.inject({ url: '/dashboard/login?next=/dashboard', headers: html });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('<form method="post">');
    expect(page.body).toContain('<p class="refused" hidden>');
    const css = await h.server.inject({ url: '/dashboard/assets/dashboard.css' });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toContain('text/css');
    const script = await h.server.inject({ url: '/dashboard/assets/batch.js' });
    expect(script.headers['content-type']).toContain('text/javascript');
    expect(script.body).toContain('EventSource');
    const missing = await h.server.inject({ url: '/dashboard/assets/..%2Fsrc%2Fdashboard.ts' });
    expect(missing.statusCode).toBe(404);
  });

  it('refuses a wrong token with 401, the form again and no cookie', async () => {
    const response = await login(testToken.replace(/.$/, 'X'));
    expect(response.statusCode).toBe(401);
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(response.body).toContain('<p class="refused">');
    expect((await login('')).statusCode).toBe(401);
  });

  it('logs in with a token: an HttpOnly, SameSite=Strict session cookie, then back to the page', async () => {
    const response = await login(testToken, {}, '/dashboard/batches/b-1');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/dashboard/batches/b-1');
    const cookie = String(response.headers['set-cookie']);
    expect(cookie).toMatch(
      /^aiqum_jobs_session=\d+\.[\w-]{43}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/,
    );
    expect(cookie).not.toContain(testToken);
    expect(h.logs.text()).not.toContain(testToken);
    expect(h.logs.text()).not.toContain(cookie.slice(cookie.indexOf('=') + 1, cookie.indexOf(';')));
  });

  it('marks the cookie Secure when the browser came over TLS to a proxy in front', async () => {
    const response = await login(testToken, { 'x-forwarded-proto': 'https' });
    expect(String(response.headers['set-cookie'])).toMatch(/; Secure$/);
  });

  it('never sends a login anywhere but a dashboard page', async () => {
    for (const next of [
      '//evil.example/',
      'https://evil.example/dashboard/',
      '/v1/requests',
      '/dashboard\r\nx: y',
    ]) {
      const response = await login(testToken, {}, next);
      expect(response.statusCode, next).toBe(303);
      expect(response.headers.location, next).toBe('/dashboard');
    }
  });

  it('refuses a login or logout form posted by another site', async () => {
    const response = await login(testToken, { origin: 'https://evil.example' });
    expect(response.statusCode).toBe(403);
    expect(response.headers['set-cookie']).toBeUndefined();
    const logout = await h.server.inject({
      method: 'POST',
      url: '/dashboard/logout',
      headers: { origin: 'null' },
    });
    expect(logout.statusCode).toBe(403);
  });

  it('lets a session read the API, the pages and bull-board, read-only', async () => {
    const cookie = await sessionCookie();
    const { batchId, requestIds } = await h.producer.submitBatch({ requests: [labLun, labLun] });

    const page = await h.server.inject({
      url: `/dashboard/batches/${batchId}`,
      headers: { ...html, cookie },
    });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.body).toContain('/dashboard/assets/batch.js');
    const batch = await h.server.inject({ url: `/v1/batches/${batchId}`, headers: { cookie } });
    expect(batch.json()).toMatchObject({ batchId, total: 2 });

    const board = await h.server.inject({ url: '/dashboard/queues', headers: { ...html, cookie } });
    expect(board.statusCode).toBe(200);
    expect(board.body).toContain('<base href="/dashboard/queues/" />');
    // Its inline styles may apply; its Google Fonts link may not load.
    expect(board.headers['content-security-policy']).toContain("style-src 'self' 'unsafe-inline'");
    expect(board.headers['content-security-policy']).toContain("font-src 'self'");
    const queues = await h.server.inject({ url: '/dashboard/queues/api/queues', headers: { cookie } });
    expect(queues.statusCode).toBe(200);
    expect(queues.json().queues).toEqual([
      expect.objectContaining({
        name: 'requests',
        readOnlyMode: true,
        counts: expect.objectContaining({ waiting: 2 }),
      }),
    ]);

    // The board shows the queue jobs, but never a request's body (it may hold passwords).
    const marker = `secret-${Date.now()}`;
    await h.producer.submitBatch({ requests: [{ ...labLun, body: { ...labLun.body, comment: marker } }] });
    const jobs = await h.server.inject({
      url: '/dashboard/queues/api/queues?activeQueue=requests&status=waiting&page=1',
      headers: { cookie },
    });
    expect(jobs.statusCode).toBe(200);
    const shown = jobs.json().queues[0]?.jobs as Array<{ data: { path: string; body: unknown } }>;
    expect(shown.length).toBeGreaterThanOrEqual(3);
    expect(shown.every((job) => job.data.path === labLun.path)).toBe(true);
    expect(shown.map((job) => job.data.body)).toEqual(
      shown.map(() => '[hidden: request bodies are not shown]'),
    );
    expect(jobs.body).not.toContain(marker);

    // Whatever changes something needs the token itself, so a cookie a browser sends on its own cannot.
    const before = await h.footprint();
    const submit = await h.server.inject({
      method: 'POST',
      url: '/v1/requests',
      headers: { cookie },
      payload: labLun,
    });
    expect(submit.statusCode).toBe(401);
    const cancel = await h.server.inject({
      method: 'DELETE',
      url: `/v1/requests/${requestIds[0]}`,
      headers: { cookie },
    });
    expect(cancel.statusCode).toBe(401);
    const pause = await h.server.inject({
      method: 'PUT',
      url: '/dashboard/queues/api/queues/requests/pause',
      headers: { cookie },
    });
    expect(pause.statusCode).toBe(401);
    expect(await h.footprint()).toEqual(before);
    // Even with the token, bull-board changes nothing behind the request store's back.
    const paused = await h.server.inject({
      method: 'PUT',
      url: '/dashboard/queues/api/queues/requests/pause',
      headers: auth,
    });
    expect(paused.statusCode).toBe(405);
    expect(await h.queue.isPaused()).toBe(false);
  });

  it('ends a session at its expiry, and refuses a forged one', async () => {
    const cookie = await sessionCookie();
    const read = () => h.server.inject({ url: '/v1/batches', headers: { cookie } });
    expect((await read()).statusCode).toBe(200);
    now += 12 * hour - 1;
    expect((await read()).statusCode).toBe(200);
    now += 1;
    expect((await read()).statusCode).toBe(401);

    const [expiry, mac] = (await sessionCookie()).split('.') as [string, string];
    const later = `${expiry.replace(/\d$/, (digit) => String((Number(digit) + 1) % 10))}.${mac}`;
    expect((await h.server.inject({ url: '/v1/batches', headers: { cookie: later } })).statusCode).toBe(401);
  });

  it('logs out by clearing the cookie', async () => {
    const response = await h.server.inject({ method: 'POST', url: '/dashboard/logout' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/dashboard/login');
    expect(String(response.headers['set-cookie'])).toMatch(/^aiqum_jobs_session=; Path=\/; Max-Age=0;/);
  });

  it('lists the batches of the latest events, most recent first', async () => {
    const older = await h.producer.submitBatch({ requests: [labLun] });
    const newer = await h.producer.submitBatch({ requests: [labLun, labLun] });
    const quiet = await h.producer.submitBatch({ requests: [labLun] });
    for (const requestId of [...older.requestIds, ...newer.requestIds.slice(0, 1)]) {
      const view = await h.store.records.get(requestId);
      if (view === undefined) throw new Error(`no request ${requestId}`);
      await h.store.completion.complete(view, {}, { outcome: 'succeeded' });
    }
    const response = await h.server.inject({ url: '/v1/batches', headers: auth });
    expect(response.statusCode).toBe(200);
    const batches: Array<{ batchId: string; total: number; done: boolean }> = response.json().batches;
    // A batch without events yet is not among them.
    expect(batches.map((batch) => batch.batchId)).toEqual([newer.batchId, older.batchId]);
    expect(batches[0]).toMatchObject({ total: 2, done: false });
    expect(batches[1]).toMatchObject({ total: 1, done: true });
    expect(batches.map((batch) => batch.batchId)).not.toContain(quiet.batchId);
  });
});

describe('the dashboard without tokens', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ apiTokens: [] });
  });
  afterAll(() => h.close());

  it('is open to loopback clients, as the API is', async () => {
    const board = await h.server.inject({ url: '/dashboard/queues', headers: html });
    expect(board.statusCode).toBe(200);
    const login = await h.server.inject({ url: '/dashboard/login?next=/dashboard/queues', headers: html });
    expect(login.statusCode).toBe(303);
    expect(login.headers.location).toBe('/dashboard/queues');
    const remote = await h.server.inject({
      url: '/dashboard/queues',
      headers: html,
      remoteAddress: '10.1.2.3',
    });
    expect(remote.statusCode).toBe(403);
  });
});

describe('dashboard sessions', () => {
  const token = 'first-token-0123456789';
  const other = 'other-token-0123456789';
  const sessions = (...tokens: string[]) =>
    new DashboardSessions({ tokens: new BearerTokens(tokens.map((value) => new Secret(value))) });

  it('are valid only while the token that opened them is configured, and say which token that is', () => {
    const session = sessions(token, other).open(token);
    expect(session).toMatch(/^\d+\.[\w-]{43}$/);
    expect(sessions(token, other).signerOf(session)).toBe(0);
    expect(sessions(other, token).signerOf(session)).toBe(1);
    expect(sessions(token).signerOf(session)).toBe(0);
    // The token was removed from the configuration: its sessions end with it.
    expect(sessions(other).signerOf(session)).toBeUndefined();
    expect(sessions(token).open('not-a-configured-token')).toBeUndefined();
    expect(sessions(token).signerOf(undefined)).toBeUndefined();
    expect(sessions(token).signerOf('garbage')).toBeUndefined();
  });
});

describe("the batch page's names looked up", () => {
  // The page's own module, as the browser loads it (it touches the DOM only when called to).
  const shared = '../dashboard/shared.js';
  type Format = (reference: { field: string; reference: object; key: string }) => string;

  it('shows each name with its qualifiers, and the key sent in its place', async () => {
    const { formatResolved } = (await import(shared)) as { formatResolved: Format };
    expect(
      formatResolved({
        field: 'lun_maps.0.igroup',
        reference: { name: 'ig_db', svm: { name: 'vs1' }, cluster: { name: 'cluster-01' } },
        key: 'ig-1',
      }),
    ).toBe('lun_maps.0.igroup: ig_db (svm vs1, cluster cluster-01) → ig-1');
    expect(formatResolved({ field: 'path', reference: { name: 'Gold' }, key: 'psl-1' })).toBe(
      'path: Gold → psl-1',
    );
    expect(
      formatResolved({
        field: 'access_control.active_directory_mapping',
        reference: { svm: { name: 'vs1' } },
        key: 'ad-1',
      }),
    ).toBe('access_control.active_directory_mapping: (svm vs1) → ad-1');
  });
});
