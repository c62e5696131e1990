import type { AiqumJobsEvent } from '@aiqum-jobs/contracts';
import { Secret } from '@aiqum-jobs/core';
import { lunRequest } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, labLun, startHarness, testToken } from './harness.js';

const watcherToken = 'watcher-token-0123456789abcdef';
const labOperatorToken = 'lab-operator-token-0123456789';
const submitterToken = 'submitter-token-0123456789abcdef';
const prodLun = { target: 'prod', ...lunRequest('lun2') };

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('named tokens with scopes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      namedTokens: [
        { name: 'watcher', token: new Secret(watcherToken), scopes: ['read'] },
        {
          name: 'lab-operator',
          token: new Secret(labOperatorToken),
          scopes: ['read', 'submit', 'cancel'],
          targets: ['lab'],
        },
        { name: 'submitter', token: new Secret(submitterToken), scopes: ['submit'] },
      ],
    });
  });
  afterAll(() => h.close());

  const submit = async (token: string, payload: object) =>
    h.server.inject({ method: 'POST', url: '/v1/requests', headers: bearer(token), payload });

  async function eventsOf(id: { requestId?: string; batchId?: string }): Promise<AiqumJobsEvent[]> {
    const events: AiqumJobsEvent[] = [];
    for await (const { event } of h.producer.events({ after: '0', follow: false })) {
      const matches =
        (id.requestId !== undefined && 'requestId' in event && event.requestId === id.requestId) ||
        (id.batchId !== undefined && event.batchId === id.batchId);
      if (matches) events.push(event);
    }
    return events;
  }

  it('lets a read-only token watch, and answers 403 naming the missing scope to whatever writes', async () => {
    const { requestId } = (await submit(testToken, labLun)).json();
    const before = await h.footprint();

    const post = await submit(watcherToken, labLun);
    expect(post.statusCode).toBe(403);
    expect(post.json().error).toMatchObject({ code: 'FORBIDDEN_SCOPE', details: { scope: 'submit' } });
    expect(post.json().error.message).toContain('submit');
    const cancel = await h.server.inject({
      method: 'DELETE',
      url: `/v1/requests/${requestId}`,
      headers: bearer(watcherToken),
    });
    expect(cancel.json().error).toMatchObject({ code: 'FORBIDDEN_SCOPE', details: { scope: 'cancel' } });
    const subscribe = await h.server.inject({
      method: 'POST',
      url: '/v1/subscriptions',
      headers: bearer(watcherToken),
      payload: { url: 'https://hooks.example.com/x' },
    });
    expect(subscribe.json().error).toMatchObject({ details: { scope: 'subscriptions' } });
    const deadLetters = await h.server.inject({
      url: '/v1/subscriptions/nope/dead-letters',
      headers: bearer(watcherToken),
    });
    expect(deadLetters.statusCode).toBe(403);
    expect(deadLetters.json().error).toMatchObject({ details: { scope: 'admin' } });
    expect(await h.footprint()).toEqual(before);

    const read = await h.server.inject({ url: `/v1/requests/${requestId}`, headers: bearer(watcherToken) });
    expect(read.statusCode).toBe(200);
    const events = await h.server.inject({
      url: '/v1/events?follow=false&after=0',
      headers: bearer(watcherToken),
    });
    expect(events.statusCode).toBe(200);
    expect((await h.server.inject({ url: '/v1/batches', headers: bearer(watcherToken) })).statusCode).toBe(
      200,
    );
  });

  it('refuses a token without read the reads', async () => {
    const read = await h.server.inject({ url: '/v1/batches', headers: bearer(submitterToken) });
    expect(read.statusCode).toBe(403);
    expect(read.json().error).toMatchObject({ code: 'FORBIDDEN_SCOPE', details: { scope: 'read' } });
    expect((await submit(submitterToken, labLun)).statusCode).toBe(202);
  });

  it('keeps a token limited to targets to those targets: 403 naming the other target, nothing stored', async () => {
    const before = await h.footprint();
    const refused = await submit(labOperatorToken, prodLun);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatchObject({ code: 'FORBIDDEN_TARGET', details: { targets: ['prod'] } });
    expect(refused.json().error.message).toContain('prod');
    const batch = await h.server.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: bearer(labOperatorToken),
      payload: { requests: [labLun, prodLun] },
    });
    expect(batch.statusCode).toBe(403);
    expect(batch.json().error).toMatchObject({ code: 'FORBIDDEN_TARGET', details: { targets: ['prod'] } });
    expect(await h.footprint()).toEqual(before);

    expect((await submit(labOperatorToken, labLun)).statusCode).toBe(202);
    const { requestId: prodId } = (await submit(testToken, prodLun)).json();
    const cancel = await h.server.inject({
      method: 'DELETE',
      url: `/v1/requests/${prodId}`,
      headers: bearer(labOperatorToken),
    });
    expect(cancel.statusCode).toBe(403);
    expect(cancel.json().error).toMatchObject({ code: 'FORBIDDEN_TARGET', details: { targets: ['prod'] } });
    expect((await h.store.records.get(prodId))?.status).toBe('queued');
    // Another target's requests are not its to see: not alone, not in a batch, not in the event stream.
    const read = await h.server.inject({ url: `/v1/requests/${prodId}`, headers: bearer(labOperatorToken) });
    expect(read.statusCode).toBe(404);
    const mixed = await h.server.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: bearer(testToken),
      payload: { requests: [labLun, prodLun] },
    });
    const { batchId, requestIds } = mixed.json();
    const page = await h.server.inject({
      url: `/v1/batches/${batchId}/requests`,
      headers: bearer(labOperatorToken),
    });
    expect(page.json().requests.map((view: { target: string }) => view.target)).toEqual(['lab']);
    await h.producer.cancel(prodId);
    for (const requestId of requestIds) await h.producer.cancel(requestId);
    const stream = await h.server.inject({
      url: '/v1/events?follow=false&after=0',
      headers: bearer(labOperatorToken),
    });
    const seen = stream.body
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice('data: '.length)));
    expect(seen.filter((event) => event.type === 'request.completed').map((event) => event.target)).toEqual([
      'lab',
    ]);
    expect(seen.filter((event) => event.type === 'batch.completed')).toHaveLength(1);
  });

  it("keeps the token's name as submittedBy in the record, the views and the completion events", async () => {
    const { requestId } = (await submit(labOperatorToken, labLun)).json();
    expect((await h.store.records.get(requestId))?.submittedBy).toBe('lab-operator');
    const cancelled = await h.server.inject({
      method: 'DELETE',
      url: `/v1/requests/${requestId}`,
      headers: bearer(labOperatorToken),
    });
    expect(cancelled.json()).toMatchObject({ requestId, submittedBy: 'lab-operator' });
    const [completed] = await eventsOf({ requestId });
    expect(completed).toMatchObject({ type: 'request.completed', submittedBy: 'lab-operator' });

    const batch = await h.server.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: bearer(labOperatorToken),
      payload: { requests: [labLun] },
    });
    const { batchId, requestIds } = batch.json();
    const view = await h.server.inject({ url: `/v1/batches/${batchId}`, headers: bearer(labOperatorToken) });
    expect(view.json().submittedBy).toBe('lab-operator');
    await h.producer.cancel(requestIds[0]);
    expect((await eventsOf({ batchId })).map((event) => [event.type, event.submittedBy])).toEqual([
      ['request.completed', 'lab-operator'],
      ['batch.completed', 'lab-operator'],
    ]);
  });

  it('names an unnamed token of PRODUCER_API_TOKENS by its position', async () => {
    const { requestId } = (await submit(testToken, labLun)).json();
    expect((await h.store.records.get(requestId))?.submittedBy).toBe('token-1');
  });

  it("logs each request with its token's name, never the token", async () => {
    const { requestId } = (await submit(labOperatorToken, labLun)).json();
    await h.server.inject({ url: `/v1/requests/${requestId}`, headers: bearer(watcherToken) });
    const lines = h.logs.lines();
    expect(lines).toContainEqual(
      expect.objectContaining({ caller: 'lab-operator', msg: 'request completed' }),
    );
    expect(lines).toContainEqual(expect.objectContaining({ caller: 'watcher', msg: 'request completed' }));
    expect(lines).toContainEqual(
      expect.objectContaining({ requestId, submittedBy: 'lab-operator', msg: 'request queued' }),
    );
    for (const token of [testToken, watcherToken, labOperatorToken, submitterToken]) {
      expect(h.logs.text()).not.toContain(token);
    }
  });
});

describe('the dashboard session of a named token', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      namedTokens: [
        { name: 'watcher', token: new Secret(watcherToken), scopes: ['read'] },
        { name: 'submitter', token: new Secret(submitterToken), scopes: ['submit'] },
      ],
    });
  });
  afterAll(() => h.close());

  async function sessionOf(token: string): Promise<string> {
    const response = await h.server.inject({
      method: 'POST',
      url: '/dashboard/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token }).toString(),
    });
    const cookie = String(response.headers['set-cookie']);
    return cookie.slice(0, cookie.indexOf(';'));
  }

  it("carries its token's name and scopes: a read-only token's session watches, and writes nothing", async () => {
    const cookie = await sessionOf(watcherToken);
    const page = await h.server.inject({ url: '/dashboard', headers: { cookie, accept: 'text/html' } });
    expect(page.statusCode).toBe(200);
    expect((await h.server.inject({ url: '/v1/batches', headers: { cookie } })).statusCode).toBe(200);
    const subscriptions = await h.server.inject({ url: '/v1/subscriptions', headers: { cookie } });
    expect(subscriptions.statusCode).toBe(403);
    expect(subscriptions.json().error).toMatchObject({ details: { scope: 'subscriptions' } });
    const post = await h.server.inject({
      method: 'POST',
      url: '/v1/requests',
      headers: { cookie },
      payload: labLun,
    });
    expect(post.statusCode).toBe(401);
    expect(h.logs.lines()).toContainEqual(
      expect.objectContaining({ caller: 'watcher', msg: 'request completed', res: expect.anything() }),
    );
  });

  it('of a token without read shows nothing', async () => {
    const cookie = await sessionOf(submitterToken);
    const page = await h.server.inject({ url: '/dashboard', headers: { cookie, accept: 'text/html' } });
    expect(page.statusCode).toBe(403);
    expect(page.json().error).toMatchObject({ code: 'FORBIDDEN_SCOPE', details: { scope: 'read' } });
    const board = await h.server.inject({
      url: '/dashboard/queues',
      headers: { cookie, accept: 'text/html' },
    });
    expect(board.statusCode).toBe(403);
  });
});

describe('without tokens', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ apiTokens: [] });
  });
  afterAll(() => h.close());

  it('keeps submittedBy local: whoever is on this machine', async () => {
    const { requestId } = (
      await h.server.inject({ method: 'POST', url: '/v1/requests', payload: labLun })
    ).json();
    expect((await h.store.records.get(requestId))?.submittedBy).toBe('local');
  });
});
