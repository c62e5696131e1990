import { describe, expect, it } from 'vitest';
import { checkAnswer } from './spec-contract-check.js';

const job = {
  key: 'k:1',
  name: 'Create LUN',
  type: 'lun_create',
  state: 'running',
  status: 'normal',
  submit_time: '2019-11-15T09:57:18.000+05:30',
  job_results: [],
  task_reports: [{ key: 't1', state: 'running', status: 'normal' }],
  _links: { self: { href: '/api/management-server/jobs/k%3A1' } },
};
const answer = (method: string, path: string, status: number, body: unknown) => ({
  method,
  path,
  status,
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

// The checker must be able to fail: each bad answer below is one a broken simulator could give.
describe('the SPEC contract check', () => {
  it.each([
    ['a spec job', answer('GET', '/api/management-server/jobs/k%3A1', 200, job)],
    ['a job under /api/v2/', answer('GET', '/api/v2/management-server/jobs/k%3A1?poll_timeout=5', 200, job)],
    ['a job link', answer('POST', '/api/storage-provider/luns', 202, { job: { key: 'k:1' } })],
    [
      'a string error code',
      answer('POST', '/api/storage-provider/luns', 400, {
        error: { code: '262185', message: 'bad', target: 'svm.key' },
      }),
    ],
    ['a 401 without JSON', answer('GET', '/api/datacenter/svm/svms', 401, 'Unauthorized')],
    [
      'a data-placement 202',
      answer('POST', '/api/storage-provider/data-placement', 202, { key: 'a:1', state: 'online' }),
    ],
    [
      'a collection with extra fields',
      answer('GET', '/api/datacenter/svm/svms?max_records=1', 200, {
        records: [{ key: 's:1', name: 'vs1', state: 'running', extra: { any: 1 } }],
        num_records: 1,
        total_records: 3,
        _links: {
          self: { href: '/api/datacenter/svm/svms' },
          next: { href: '/api/datacenter/svm/svms?offset=1' },
        },
      }),
    ],
    [
      'a record by key',
      answer('GET', '/api/storage-provider/luns/c1%3Atype%3Dlun', 200, { key: 'c1:type=lun' }),
    ],
    [
      'a sync DELETE without a body',
      answer('DELETE', '/api/storage-provider/performance-service-levels/p1', 200, ''),
    ],
    ['an ONTAP pass-through', answer('GET', '/api/gateways/c1/cluster/jobs/u1', 200, { state: 'odd' })],
  ])('accepts %s', (_name, given) => {
    expect(checkAnswer(given)).toBeUndefined();
  });

  it.each([
    [
      'a numeric error code',
      answer('GET', '/api/x/y', 404, { error: { code: 4, message: 'no' } }),
      /error.code/,
    ],
    [
      'a job status off the enum',
      answer('GET', '/api/management-server/jobs/k', 200, { ...job, status: 'RUNNING' }),
      /status/,
    ],
    [
      'a job without state',
      answer('GET', '/api/management-server/jobs/k', 200, { key: 'k', status: 'normal' }),
      /state/,
    ],
    [
      'a date-time without offset',
      answer('GET', '/api/management-server/jobs/k', 200, { ...job, submit_time: '2019-11-15 09:57' }),
      /submit_time/,
    ],
    ['a 202 without job key', answer('POST', '/api/storage-provider/luns', 202, { job: {} }), /job.key/],
    [
      'a collection without records',
      answer('GET', '/api/datacenter/svm/svms', 200, { num_records: 0 }),
      /records/,
    ],
    [
      'a record of the wrong type',
      answer('GET', '/api/datacenter/svm/svms', 200, { records: [{ key: 's', state: 'up' }] }),
      /records.0.state/,
    ],
    [
      'an integer field as text',
      answer('GET', '/api/storage-provider/luns', 200, { records: [{ key: 'l', space: { size: '1' } }] }),
      /space.size/,
    ],
    ['a 204', answer('DELETE', '/api/datacenter/protocols/san/igroups/i1', 204, ''), /204/],
    [
      'an unknown route',
      answer('GET', '/api/datacenter/storage/qtrees', 200, { records: [] }),
      /no SPEC schema/,
    ],
    ['a body that is not JSON', answer('POST', '/api/storage-provider/luns', 202, ")]}'\n{}"), /not JSON/],
  ])('flags %s', (_name, given, problem) => {
    expect(checkAnswer(given)).toMatch(problem);
  });

  it('checks jobs of a docs-dialect simulator against the docs vocabulary instead', () => {
    const docsJob = { ...job, state: 'RUNNING', status: 'RUNNING' };
    const poll = answer('GET', '/api/management-server/jobs/k', 200, docsJob);
    expect(checkAnswer(poll, 'docs')).toBeUndefined();
    expect(checkAnswer(poll, 'spec')).toMatch(/status/);
    expect(
      checkAnswer(answer('GET', '/api/management-server/jobs/k', 200, { ...job, state: 'done' }), 'docs'),
    ).toMatch(/state/);
  });
});
