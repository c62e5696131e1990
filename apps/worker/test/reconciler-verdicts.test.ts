import { normalizeJob } from '@aiqum-jobs/aiqum-client';
import { describe, expect, it } from 'vitest';
import { type Candidate, decide, type WriteLookup } from '../src/reconciler.js';

// The verdict alone, on what a reconciliation found: jobs submitted at `at` (AIQUM's clock, known to be
// within 100 ms of Redis's), writes in doubt during their spans, and the keys their objects' lookups found.
const skewMs = 100;

function job(key: string, at: number, status: 'normal' | 'error', lunKey?: string): Candidate {
  const ref = {
    kind: 'aiqum' as const,
    key,
    href: `/api/management-server/jobs/${key}`,
    source: 'job.key' as const,
  };
  const body = {
    key,
    state: 'completed',
    status,
    submit_time: new Date(at).toISOString(),
    job_results: lunKey ? [{ name: 'lunKey', value: lunKey }] : [],
  };
  return {
    ref,
    submitted: { from: at, to: at },
    state: normalizeJob(ref, body, {
      method: 'GET',
      path: ref.href,
      status: 200,
      retryAfterMs: undefined,
    }),
  };
}

const write = (requestId: string, from: number, to: number, keys?: string[]): WriteLookup => ({
  requestId,
  span: { from, to },
  ...(keys ? { resultName: 'lunKey', keys } : {}),
});

const verdict = (own: WriteLookup, jobs: Candidate[], others: WriteLookup[]) =>
  decide({ ...own, resultName: 'lunKey' }, 'the object', jobs, others, { min: -skewMs, max: skewMs });

describe('decide', () => {
  it('tracks the job that made its object when no other write could have', () => {
    expect(verdict(write('own', 1_000, 2_000, ['k1']), [job('j1', 1_500, 'normal', 'k1')], [])).toMatchObject(
      {
        kind: 'track',
        job: { key: 'j1' },
      },
    );
  });

  it('tracks a failed job when the other write in doubt then made an object of its own', () => {
    const jobs = [job('failed', 1_500, 'error'), job('made', 1_600, 'normal', 'k2')];
    expect(
      verdict(write('own', 1_000, 2_000, []), jobs, [write('other', 1_000, 2_000, ['k2'])]),
    ).toMatchObject({
      kind: 'track',
      job: { key: 'failed' },
    });
  });

  it('leaves a failed job unsettled, naming the other write, when that write made nothing either', () => {
    const found = verdict(
      write('own', 1_000, 2_000, []),
      [job('failed', 1_500, 'error')],
      [write('other', 1_000, 2_000, [])],
    );
    expect(found).toMatchObject({ kind: 'unsettled' });
    expect(found.kind === 'unsettled' && found.found).toContain('other');
  });

  it('resubmits when every job is one it could not have started: another object, or another time', () => {
    const jobs = [job('other-object', 1_500, 'normal', 'k2'), job('later', 5_000, 'error')];
    expect(
      verdict(write('own', 1_000, 2_000, []), jobs, [write('other', 1_000, 6_000, ['k2'])]),
    ).toMatchObject({
      kind: 'resubmit',
    });
  });

  it('follows the component: a write that could only have started one job frees the next job for another', () => {
    // "b" made k2 or failed; "c" (its object not found) could only have started the failed job f2, so b
    // made k2, and the failed job f1, of the time of "own" and "b" only, is own's.
    const jobs = [job('f1', 1_500, 'error'), job('made', 1_600, 'normal', 'k2'), job('f2', 2_500, 'error')];
    const others = [write('b', 1_000, 3_000, ['k2']), write('c', 2_400, 2_600, [])];
    expect(verdict(write('own', 1_000, 2_000, []), jobs, others)).toMatchObject({
      kind: 'track',
      job: { key: 'f1' },
    });
  });

  it('leaves two writes of the same object unsettled: either could have made it', () => {
    const jobs = [job('made', 1_500, 'normal', 'k1'), job('failed', 1_600, 'error')];
    expect(
      verdict(write('own', 1_000, 2_000, ['k1']), jobs, [write('twin', 1_000, 2_000, ['k1'])]),
    ).toMatchObject({ kind: 'unsettled' });
  });

  it('counts a write whose object cannot be looked up as able to have started any job of its time', () => {
    const other = write('unlooked', 1_000, 2_000);
    expect(verdict(write('own', 1_000, 2_000, []), [job('failed', 1_500, 'error')], [other])).toMatchObject({
      kind: 'unsettled',
    });
    // Unless it is needed for another job: the one that made an object only it could have made.
    const jobs = [job('failed', 1_500, 'error'), job('made', 1_600, 'normal', 'k2')];
    expect(verdict(write('own', 1_000, 2_000, []), jobs, [other])).toMatchObject({
      kind: 'track',
      job: { key: 'failed' },
    });
  });

  it('leaves out a job none of the writes in doubt could have started: another client made it', () => {
    const jobs = [job('failed', 1_500, 'error'), job('someone-elses', 1_600, 'normal', 'k9')];
    expect(
      verdict(write('own', 1_000, 2_000, []), jobs, [write('other', 1_000, 2_000, ['k2'])]),
    ).toMatchObject({
      kind: 'unsettled',
    });
    expect(verdict(write('own', 1_000, 2_000, []), jobs, [])).toMatchObject({
      kind: 'track',
      job: { key: 'failed' },
    });
  });

  it('does not track a job it cannot read (a state no dialect knows), which could have made anything', () => {
    const unreadable: Candidate = {
      ...job('strange', 1_500, 'normal'),
      state: { phase: 'unreadable', reason: 'unknown state "FROBNICATING"', results: [] },
    };
    expect(verdict(write('own', 1_000, 2_000, []), [unreadable], [])).toMatchObject({ kind: 'unsettled' });
  });

  it('does not track a job that succeeded without naming what it made', () => {
    expect(verdict(write('own', 1_000, 2_000, []), [job('nameless', 1_500, 'normal')], [])).toMatchObject({
      kind: 'unsettled',
    });
  });
});
