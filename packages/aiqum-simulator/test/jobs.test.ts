import { describe, expect, it } from 'vitest';
import { type ScenarioInput, startSimulator } from '../src/index.js';
import { call, failureReasonOf, jobKeyOf, lunBody, obj, records } from './helpers.js';

/** SPEC's time format, as its examples show it: `2019-11-15T09:57:22.000+05:30`. */
const specTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/;
const start = Date.parse('2025-01-01T00:00:00Z');

/** A simulator on a clock of the test's own, so each phase of a 1,000 ms job can be looked at. */
async function clocked(scenario: ScenarioInput, dialect?: 'spec' | 'docs') {
  let now = start;
  const sim = await startSimulator({ tls: false, now: () => now, scenario, ...(dialect ? { dialect } : {}) });
  const submit = async (name: string) => {
    const key = jobKeyOf(
      (await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody(name) })).body,
    );
    return key;
  };
  const job = async (key: string) =>
    obj((await call(sim, 'GET', `/api/management-server/jobs/${encodeURIComponent(key)}`)).body);
  const at = (ms: number) => {
    now = start + ms;
  };
  return { sim, submit, job, at };
}

const tasksOf = (job: Record<string, unknown>) => (job.task_reports as unknown[]).map(obj);

describe('job records as SPEC definitions.job (the default spec dialect)', () => {
  it('has exactly the fields of definitions.job, times with offset and milliseconds, and no message', async () => {
    const { sim, submit, job, at } = await clocked({ rules: [{ job: { durationMs: 1_000 } }] });
    await using _ = sim;
    const key = await submit('spec_1');
    const running = await job(key);
    expect(Object.keys(running).sort()).toEqual(
      [
        '_links',
        'job_results',
        'key',
        'name',
        'spawned_job_summary',
        'state',
        'status',
        'submit_time',
        'task_reports',
        'type',
      ].sort(),
    );
    expect(running).toMatchObject({
      key,
      name: 'Provision LUN',
      type: expect.any(String),
      state: 'running',
      status: 'normal',
      submit_time: '2025-01-01T00:00:00.000+00:00',
      job_results: [],
      spawned_job_summary: {
        total_jobs: 0,
        running_jobs: 0,
        completed_jobs: 0,
        successful_jobs: 0,
        failed_jobs: 0,
        aborted_jobs: 0,
      },
      _links: { self: { href: `/api/management-server/jobs/${encodeURIComponent(key)}` } },
    });
    // Checks run first, the operation waits for them.
    const [checks, operation] = tasksOf(running);
    expect(checks).toMatchObject({
      state: 'running',
      status: 'normal',
      start_time: expect.stringMatching(specTime),
    });
    expect(operation).toMatchObject({ state: 'queued', status: 'normal' });
    expect(operation).not.toHaveProperty('start_time');
    // Task keys come from the counter job keys come from.
    const prefix = key.slice(0, key.lastIndexOf(':'));
    for (const task of [checks, operation]) {
      expect(String(task?.key).startsWith(`${prefix}:-`)).toBe(true);
      expect(task?.key).not.toBe(key);
    }

    at(500);
    const [, working] = tasksOf(await job(key));
    expect(working).toMatchObject({ state: 'running', start_time: '2025-01-01T00:00:00.200+00:00' });

    at(1_000);
    const done = await job(key);
    expect(done).toMatchObject({
      state: 'completed',
      status: 'normal',
      complete_time: '2025-01-01T00:00:01.000+00:00',
    });
    expect(done).not.toHaveProperty('message');
    expect(done).not.toHaveProperty('parent_job_key');
    expect((done.job_results as Array<{ name: string }>).map((r) => r.name)).toContain('lunKey');
    for (const task of tasksOf(done)) {
      expect(Object.keys(task).sort()).toEqual(
        ['complete_time', 'description', 'key', 'name', 'start_time', 'state', 'status', 'type'].sort(),
      );
      expect(task).toMatchObject({ state: 'completed', status: 'normal' });
      expect(task.complete_time).toMatch(specTime);
    }
  });

  it('puts why an ERROR job failed in its failing task: the scenario message, or a default', async () => {
    const { sim, submit, job, at } = await clocked({
      rules: [
        {
          match: { body: { name: 'told_*' } },
          job: { durationMs: 100, outcomes: { ERROR: 1 }, message: 'disk on fire' },
        },
        { job: { durationMs: 100, outcomes: { ERROR: 1 } } },
      ],
    });
    await using _ = sim;
    const told = await submit('told_1');
    const untold = await submit('untold_1');
    at(100);
    const failed = await job(told);
    expect(failed).toMatchObject({ state: 'completed', status: 'error', job_results: [] });
    expect(failed).not.toHaveProperty('message');
    const [checks, operation] = tasksOf(failed);
    expect(checks).toMatchObject({ status: 'normal' });
    expect(checks).not.toHaveProperty('failure_reason');
    expect(operation).toMatchObject({ state: 'completed', status: 'error', failure_reason: 'disk on fire' });
    expect(failureReasonOf(await job(untold))).toEqual(expect.stringMatching(/\S/));
    expect(records((await call(sim, 'GET', '/api/storage-provider/luns?name=*told_1')).body)).toEqual([]);
  });

  it('reports an ABORTED job aborting for the second half of its run, then aborted; it changes nothing', async () => {
    const { sim, submit, job, at } = await clocked({
      rules: [
        { match: { body: { name: 'stopped_*' } }, job: { durationMs: 1_000, outcomes: { ABORTED: 1 } } },
        {
          match: { body: { name: 'told_*' } },
          job: { durationMs: 1_000, outcomes: { ABORTED: 1 }, message: 'The job was aborted by user ops.' },
        },
      ],
    });
    await using _ = sim;
    const key = await submit('stopped_1');
    const told = await submit('told_1');
    at(499);
    expect(await job(key)).toMatchObject({ state: 'running', status: 'normal' });
    at(500);
    const aborting = await job(key);
    expect(aborting).toMatchObject({ state: 'aborting', status: 'normal' });
    expect(tasksOf(aborting)[1]).toMatchObject({ state: 'aborting', status: 'normal' });
    expect(aborting).not.toHaveProperty('complete_time');
    expect(sim.stats().jobs.byState).toMatchObject({ RUNNING: 2, ABORTED: 0 });

    at(1_000);
    const aborted = await job(key);
    expect(aborted).toMatchObject({
      state: 'aborted',
      status: 'error',
      job_results: [],
      complete_time: expect.any(String),
    });
    expect(aborted).not.toHaveProperty('message');
    expect(tasksOf(aborted)[1]).toMatchObject({
      state: 'aborted',
      status: 'error',
      failure_reason: 'The job was aborted by user admin.',
    });
    expect(failureReasonOf(await job(told))).toBe('The job was aborted by user ops.');
    expect(records((await call(sim, 'GET', '/api/storage-provider/luns?name=*stopped_1')).body)).toEqual([]);
    expect(obj((await call(sim, 'GET', `/_sim/jobs/${encodeURIComponent(key)}`)).body)).toMatchObject({
      plannedOutcome: 'ABORTED',
      outcome: 'ABORTED',
      applied: false,
      settled: true,
      message: 'The job was aborted by user admin.',
    });
    expect(sim.stats().jobs.byState).toMatchObject({ RUNNING: 0, ABORTED: 2 });
  });

  it('in the docs dialect (opt-in), shows an ABORTED job RUNNING then ABORTED with a message', async () => {
    const { sim, submit, job, at } = await clocked(
      { rules: [{ job: { durationMs: 1_000, outcomes: { ABORTED: 1 } } }] },
      'docs',
    );
    await using _ = sim;
    const key = await submit('docs_aborted');
    at(600);
    expect(await job(key)).toMatchObject({ state: 'RUNNING', status: 'RUNNING' });
    at(1_000);
    expect(await job(key)).toMatchObject({
      state: 'ABORTED',
      status: 'ABORTED',
      message: 'The job was aborted by user admin.',
    });
  });

  it('lists spec records in management-server/jobs, filtered on state and status', async () => {
    const { sim, submit, at } = await clocked({
      rules: [
        { match: { body: { name: 'fail_*' } }, job: { durationMs: 100, outcomes: { ERROR: 1 } } },
        { match: { body: { name: 'abort_*' } }, job: { durationMs: 100, outcomes: { ABORTED: 1 } } },
        { match: { body: { name: 'slow_*' } }, job: { durationMs: 10_000 } },
        { job: { durationMs: 100 } },
      ],
    });
    await using _ = sim;
    const ok = await submit('ok_1');
    const failed = await submit('fail_1');
    const aborted = await submit('abort_1');
    const slow = await submit('slow_1');
    at(100);
    const list = async (query: string) =>
      records((await call(sim, 'GET', `/api/management-server/jobs${query}`)).body).map((j) => j.key);
    expect(await list('')).toEqual([slow, aborted, failed, ok]);
    expect(await list('?state=completed')).toEqual([failed, ok]);
    expect(await list('?state=completed&status=normal')).toEqual([ok]);
    expect(await list('?status=error')).toEqual([aborted, failed]);
    expect(await list('?state=aborted')).toEqual([aborted]);
    expect(await list('?state=running')).toEqual([slow]);
    const [first] = records((await call(sim, 'GET', '/api/management-server/jobs?state=aborted')).body);
    expect(first).toMatchObject({
      state: 'aborted',
      status: 'error',
      submit_time: expect.stringMatching(specTime),
    });
    expect(first).not.toHaveProperty('message');
  });
});
