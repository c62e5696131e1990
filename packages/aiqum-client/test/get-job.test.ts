import { afterEach, describe, expect, it } from 'vitest';
import { AiqumNotFoundError, AiqumResponseValidationError, type JobRef } from '../src/index.js';
import { type Harness, harness, rejection } from './helpers.js';

const href = '/api/management-server/jobs/k%3A1';
const aiqumRef: JobRef = { kind: 'aiqum', key: 'k:1', href, source: 'job.key' };
const ontapHref = '/api/gateways/c1/cluster/jobs/u-1';
const ontapRef: JobRef = { kind: 'ontap', uuid: 'u-1', href: ontapHref, source: 'job.uuid' };

let h: Harness;
afterEach(async () => {
  await h.finish();
});

function answer(path: string, body: object, headers: Record<string, string> = {}): void {
  h.pool.intercept({ path, method: 'GET' }).reply(200, body, { headers });
}

describe('getJob normalization', () => {
  it.each([
    ['docs NORMAL', { state: 'NORMAL' }, { dialect: 'docs', phase: 'terminal', outcome: 'NORMAL' }],
    [
      'docs warning (lower case)',
      { state: 'warning' },
      { dialect: 'docs', phase: 'terminal', outcome: 'WARNING' },
    ],
    [
      'docs PARTIAL_FAILURES',
      { state: 'PARTIAL_FAILURES' },
      { dialect: 'docs', phase: 'terminal', outcome: 'PARTIAL_FAILURES' },
    ],
    ['docs ERROR', { state: 'ERROR' }, { dialect: 'docs', phase: 'terminal', outcome: 'ERROR' }],
    [
      'spec completed/normal',
      { state: 'completed', status: 'normal' },
      { dialect: 'spec', phase: 'terminal', outcome: 'NORMAL' },
    ],
    [
      'older COMPLETED/NORMAL',
      { state: 'COMPLETED', status: 'NORMAL' },
      { dialect: 'spec', phase: 'terminal', outcome: 'NORMAL' },
    ],
    [
      'spec completed/error',
      { state: 'completed', status: 'error' },
      { dialect: 'spec', phase: 'terminal', outcome: 'ERROR' },
    ],
    [
      'spec completed/partial_failures',
      { state: 'Completed', status: 'Partial_Failures' },
      { dialect: 'spec', phase: 'terminal', outcome: 'PARTIAL_FAILURES' },
    ],
    [
      'spec running with status normal',
      { state: 'running', status: 'normal' },
      { phase: 'running', dialect: 'spec' },
    ],
    [
      'upper RUNNING with status NORMAL',
      { state: 'RUNNING', status: 'NORMAL' },
      { phase: 'running', dialect: 'spec' },
    ],
    ['docs RUNNING', { state: 'RUNNING' }, { phase: 'running', dialect: 'docs' }],
    [
      'docs RUNNING repeated in status',
      { state: 'RUNNING', status: 'RUNNING' },
      { phase: 'running', dialect: 'docs' },
    ],
    ['spec aborting', { state: 'aborting', status: 'normal' }, { phase: 'running', dialect: 'spec' }],
    ['spec waiting', { state: 'waiting', status: 'normal' }, { phase: 'running', dialect: 'spec' }],
    [
      'spec aborted (status error)',
      { state: 'aborted', status: 'error' },
      { phase: 'terminal', dialect: 'spec', outcome: 'ABORTED' },
    ],
    [
      'spec aborted even with status normal',
      { state: 'aborted', status: 'normal' },
      { phase: 'terminal', dialect: 'spec', outcome: 'ABORTED' },
    ],
    ['docs ABORTED', { state: 'ABORTED' }, { phase: 'terminal', dialect: 'docs', outcome: 'ABORTED' }],
    ['queued', { state: 'queued' }, { phase: 'running' }],
    ['IN_PROGRESS', { state: 'IN_PROGRESS' }, { phase: 'running' }],
    ['not_started', { state: 'not_started' }, { phase: 'running' }],
  ])('%s', async (_name, body, expected) => {
    h = harness();
    answer(href, { key: 'k:1', ...body });
    const snapshot = await h.client.getJob(aiqumRef);
    expect(snapshot).toMatchObject({ ref: aiqumRef, ...expected, raw: { key: 'k:1', ...body } });
    if (snapshot.phase === 'running') expect(snapshot).not.toHaveProperty('outcome');
  });

  it('keeps raw state/status and reads job_results as strings', async () => {
    h = harness();
    answer(href, {
      key: 'k:1',
      state: 'completed',
      status: 'normal',
      job_results: [
        { name: 'lunKey', value: 'c1:type=lun,uuid=9' },
        { name: 'count', value: 3 },
      ],
    });
    const snapshot = await h.client.getJob(aiqumRef);
    expect(snapshot).toMatchObject({
      state: 'completed',
      status: 'normal',
      results: [
        { name: 'lunKey', value: 'c1:type=lun,uuid=9' },
        { name: 'count', value: '3' },
      ],
    });
  });

  const failing = (status: string) => ({
    key: 'k:1',
    state: 'completed',
    status,
    task_reports: [
      { key: 't1', name: 'validate', state: 'completed', status: 'normal', failure_reason: '' },
      { key: 't2', name: 'create lun', state: 'completed', status: 'error', failure_reason: 'No space left' },
      { key: 't3', name: 'map lun', state: 'completed', status: 'warning', failure_reason: 'Skipped' },
    ],
  });

  it.each([
    ['error', 'ERROR'],
    ['partial_failures', 'PARTIAL_FAILURES'],
    ['warning', 'WARNING'],
  ])("a job ending %s takes its message from the error task's failure_reason", async (status, outcome) => {
    h = harness();
    answer(href, failing(status));
    const snapshot = await h.client.getJob(aiqumRef);
    expect(snapshot).toMatchObject({ phase: 'terminal', dialect: 'spec', outcome, message: 'No space left' });
  });

  it('without an error task, the first non-empty failure_reason is the message', async () => {
    h = harness();
    answer(href, {
      state: 'aborted',
      status: 'error',
      task_reports: [
        { status: 'normal' },
        { status: 'normal', failure_reason: null },
        { failure_reason: 'The job was aborted by user admin.' },
        { status: 'warning', failure_reason: 'later reason' },
      ],
    });
    await expect(h.client.getJob(aiqumRef)).resolves.toMatchObject({
      outcome: 'ABORTED',
      message: 'The job was aborted by user admin.',
    });
  });

  it('a failure_reason wins over a job-level message; the job-level one is the fallback', async () => {
    h = harness();
    answer(href, { ...failing('error'), message: 'job-level' });
    answer(href, { state: 'ERROR', message: 'docs message', task_reports: [{ status: 'error' }] });
    answer(href, { state: 'completed', status: 'error', error: { message: 'nested', code: 'E1' } });
    expect(await h.client.getJob(aiqumRef)).toMatchObject({ message: 'No space left' });
    expect(await h.client.getJob(aiqumRef)).toMatchObject({ outcome: 'ERROR', message: 'docs message' });
    expect(await h.client.getJob(aiqumRef)).toMatchObject({ message: 'nested', code: 'E1' });
  });

  it('a failed job without any reason has no message; a NORMAL job ignores task reasons', async () => {
    h = harness();
    answer(href, { state: 'completed', status: 'error', task_reports: [{ status: 'error' }] });
    answer(href, { state: 'completed', status: 'normal', task_reports: [{ failure_reason: 'stale' }] });
    expect(await h.client.getJob(aiqumRef)).not.toHaveProperty('message');
    expect(await h.client.getJob(aiqumRef)).not.toHaveProperty('message');
  });

  it.each([
    ['an unknown state', { state: 'exploded' }],
    ['no state', { key: 'k:1' }],
    ['completed without status', { state: 'completed' }],
    ['completed with an unknown status', { state: 'completed', status: 'done' }],
    ['completed with status aborted', { state: 'completed', status: 'aborted' }],
    ['a malformed job_results', { state: 'NORMAL', job_results: 'lunKey=1' }],
    ['a malformed task_reports', { state: 'completed', status: 'error', task_reports: 'failed' }],
  ])('%s is a validation error, never a finished job', async (_name, body) => {
    h = harness();
    answer(href, body);
    const error = await rejection(h.client.getJob(aiqumRef));
    expect(error).toBeInstanceOf(AiqumResponseValidationError);
    expect(error).toMatchObject({ code: 'AIQUM_RESPONSE_INVALID', method: 'GET', path: href });
  });

  it.each([
    ['queued', { state: 'queued' }, { phase: 'running', dialect: 'ontap' }],
    ['running', { state: 'running' }, { phase: 'running' }],
    ['paused', { state: 'paused' }, { phase: 'running' }],
    ['success', { state: 'success', message: 'ok' }, { phase: 'terminal', outcome: 'NORMAL', message: 'ok' }],
    [
      'failure with message and code',
      { state: 'failure', message: 'duplicate volume name', code: 917_536 },
      { phase: 'terminal', outcome: 'ERROR', message: 'duplicate volume name', code: 917_536 },
    ],
    [
      'failure with error{}',
      { state: 'failure', error: { message: 'no space', code: '98' } },
      { phase: 'terminal', outcome: 'ERROR', message: 'no space', code: '98' },
    ],
  ])('ONTAP %s', async (_name, body, expected) => {
    h = harness();
    answer(ontapHref, { uuid: 'u-1', ...body });
    await expect(h.client.getJob(ontapRef)).resolves.toMatchObject({ dialect: 'ontap', ...expected });
  });

  it('an ONTAP job in an unlisted state is a validation error', async () => {
    h = harness();
    answer(ontapHref, { uuid: 'u-1', state: 'completed' });
    await expect(h.client.getJob(ontapRef)).rejects.toBeInstanceOf(AiqumResponseValidationError);
  });

  it('404 after the job was seen is gone (outcome unknown); unseen it throws', async () => {
    h = harness();
    h.pool
      .intercept({ path: ontapHref, method: 'GET' })
      .reply(404, { error: { message: 'entry does not exist' } });
    const snapshot = await h.client.getJob(ontapRef);
    expect(snapshot).toEqual({
      ref: ontapRef,
      phase: 'gone',
      results: [],
      raw: null,
      message: 'entry does not exist',
    });
    expect(snapshot).not.toHaveProperty('outcome');

    h.pool.intercept({ path: ontapHref, method: 'GET' }).reply(404, {});
    await expect(h.client.getJob(ontapRef, { seenBefore: false })).rejects.toBeInstanceOf(AiqumNotFoundError);
  });

  it('surfaces Retry-After of a poll answer', async () => {
    h = harness();
    answer(href, { state: 'running' }, { 'retry-after': '4' });
    await expect(h.client.getJob(aiqumRef)).resolves.toMatchObject({ phase: 'running', retryAfterMs: 4000 });
  });

  it('retries a poll that failed with 503', async () => {
    h = harness();
    h.pool.intercept({ path: href, method: 'GET' }).reply(503, '');
    answer(href, { state: 'NORMAL' });
    await expect(h.client.getJob(aiqumRef)).resolves.toMatchObject({ phase: 'terminal' });
    expect(h.sleeps).toHaveLength(1);
  });

  it('refuses a stored ref whose href leaves /api/', async () => {
    h = harness();
    const error = await rejection(h.client.getJob({ ...aiqumRef, href: 'https://evil.test/api/x' }));
    expect(error).toMatchObject({ code: 'AIQUM_INVALID_REQUEST' });
  });
});

describe('long polling', () => {
  it('longPoll: {} turns on Deploy-style defaults: poll_timeout capped at 120, no last_modified unless given', async () => {
    h = harness({ longPoll: {} });
    answer(`${href}?poll_timeout=120`, { state: 'completed', status: 'normal' });
    answer(`${href}?poll_timeout=30`, { state: 'completed', status: 'normal' });
    await h.client.getJob(aiqumRef, { longPollSeconds: 600 });
    await h.client.getJob(aiqumRef, { longPollSeconds: 30 });
  });

  it('clamps the seconds to 1..maxWaitSeconds and sends whole seconds', async () => {
    h = harness({ longPoll: { maxWaitSeconds: 30 } });
    answer(`${href}?poll_timeout=30`, { state: 'running', status: 'normal' });
    answer(`${href}?poll_timeout=1`, { state: 'running', status: 'normal' });
    answer(`${href}?poll_timeout=7`, { state: 'running', status: 'normal' });
    await h.client.getJob(aiqumRef, { longPollSeconds: 31 });
    await h.client.getJob(aiqumRef, { longPollSeconds: 0.4 });
    await h.client.getJob(aiqumRef, { longPollSeconds: 7.9 });
  });

  it('sends lastModified (a Date or ISO text) under the configured names', async () => {
    h = harness({ longPoll: { parameter: 'wait_time', lastModifiedParameter: 'since', maxWaitSeconds: 60 } });
    answer(`${href}?wait_time=10&since=2024-05-01T10%3A00%3A00.000Z`, { state: 'running' });
    answer(`${href}?wait_time=10&since=2024-05-01T12%3A00%3A00.5%2B02%3A00`, { state: 'running' });
    await h.client.getJob(aiqumRef, { longPollSeconds: 10, lastModified: new Date('2024-05-01T10:00:00Z') });
    await h.client.getJob(aiqumRef, { longPollSeconds: 10, lastModified: '2024-05-01T12:00:00.5+02:00' });
  });

  it.each([
    ['a date without time', '2024-05-01'],
    ['a date-time without offset', '2024-05-01T10:00:00'],
    ['an invalid Date', new Date('nope')],
  ])('refuses lastModified that is %s before sending', async (_name, lastModified) => {
    h = harness({ longPoll: {} });
    const error = await rejection(h.client.getJob(aiqumRef, { longPollSeconds: 5, lastModified }));
    expect(error).toMatchObject({ code: 'AIQUM_INVALID_REQUEST' });
  });

  it('does a standard poll when long polling is not configured, for ONTAP jobs, and for 0 seconds', async () => {
    h = harness({ longPoll: {} });
    answer(ontapHref, { state: 'running' });
    answer(href, { state: 'running', status: 'normal' });
    await h.client.getJob(ontapRef, { longPollSeconds: 10 });
    await h.client.getJob(aiqumRef, { longPollSeconds: 0 });
    await h.finish();

    h = harness();
    answer(href, { state: 'running' });
    await h.client.getJob(aiqumRef, { longPollSeconds: 10, lastModified: new Date() });
  });

  it.each([
    ['maxWaitSeconds 0', { maxWaitSeconds: 0 }],
    ['maxWaitSeconds 121', { maxWaitSeconds: 121 }],
    ['a parameter that is not a name', { parameter: 'a=b' }],
    ['an unknown key', { wait_seconds: 10 }],
  ])('refuses longPoll with %s', (_name, longPoll) => {
    h = harness();
    expect(() => harness({ longPoll: longPoll as never })).toThrow(/invalid AIQUM client options/);
  });

  it('extends the call timeout by the long-poll wait', async () => {
    h = harness({ timeoutMs: 20, longPoll: {} });
    h.pool
      .intercept({ path: `${href}?poll_timeout=1`, method: 'GET' })
      .reply(200, { state: 'completed', status: 'normal' })
      .delay(100);
    await expect(h.client.getJob(aiqumRef, { longPollSeconds: 1 })).resolves.toMatchObject({
      phase: 'terminal',
    });
  });
});

describe('caller headers on reads', () => {
  it('sends X-Correlation-Id with getJob and get, and refuses Authorization before sending', async () => {
    h = harness();
    h.pool
      .intercept({ path: href, method: 'GET', headers: { 'x-correlation-id': 'req-1' } })
      .reply(200, { state: 'RUNNING' });
    h.pool
      .intercept({
        path: '/api/datacenter/svm/svms',
        method: 'GET',
        headers: { 'x-correlation-id': 'req-2' },
      })
      .reply(200, { records: [] });
    const snapshot = await h.client.getJob(aiqumRef, { headers: { 'X-Correlation-Id': 'req-1' } });
    expect(snapshot.phase).toBe('running');
    expect(
      await h.client.get('/api/datacenter/svm/svms', { headers: { 'X-Correlation-Id': 'req-2' } }),
    ).toEqual({
      records: [],
    });
    const refused = await rejection(h.client.getJob(aiqumRef, { headers: { Authorization: 'Basic eA==' } }));
    expect(refused).toMatchObject({ code: 'AIQUM_INVALID_REQUEST', ambiguous: false });
  });
});
