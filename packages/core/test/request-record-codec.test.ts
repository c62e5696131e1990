import { describe, expect, it } from 'vitest';
import {
  claimedRecordReplySchema,
  decodeRequestRecord,
  decodeRequestState,
  submissionStateSchema,
} from '../src/request-record-codec.js';

const spec = {
  requestId: 'r1',
  target: 'lab',
  method: 'POST',
  path: '/api/storage-provider/luns',
  createdAt: 1_000,
  deadlineAt: 61_000,
  retryAmbiguous: false,
};
const job = {
  kind: 'ontap',
  uuid: 'c0ffee00-0000-4000-8000-000000000001',
  href: '/api/gateways/1/cluster/jobs/c0ffee00-0000-4000-8000-000000000001',
  source: 'job.uuid',
};
const jobState = { phase: 'running' };

describe('request record codec', () => {
  it('reads a gone record as undefined, from HGETALL and from HMGET', () => {
    expect(decodeRequestRecord({})).toBeUndefined();
    expect(decodeRequestState([null, null, null, null, null])).toBeUndefined();
  });

  it('reads a field left out or written empty (HGETALL) as absent', () => {
    const record = decodeRequestRecord({
      spec: JSON.stringify(spec),
      status: 'tracking',
      job: JSON.stringify(job),
      // What record-poll writes for a poll without a dialect.
      dialect: '',
      submittedAt: '2000',
    });
    expect(record).toStrictEqual({
      ...spec,
      status: 'tracking',
      job,
      submittedAt: 2_000,
      jobResults: [],
      polls: 0,
      submitAttempts: 0,
    });
  });

  it('reads a null field (HMGET) and an empty one as absent in the state', () => {
    expect(decodeRequestState(['queued', null, '', null, null])).toStrictEqual({ status: 'queued' });
    expect(decodeRequestState(['tracking', JSON.stringify(job), 'ontap', null, '2000'])).toStrictEqual({
      status: 'tracking',
      job,
      dialect: 'ontap',
      submittedAt: 2_000,
    });
  });

  it('reads false (a Lua nil through cjson), null, empty and left-out fields in script replies as absent', () => {
    expect(
      submissionStateSchema.parse({ job: false, dialect: '', jobState: null, submittedAt: '2000' }),
    ).toStrictEqual({ submittedAt: 2_000 });
    expect(
      claimedRecordReplySchema.parse({
        status: 'tracking',
        spec: JSON.stringify(spec),
        job: JSON.stringify(job),
        dialect: false,
        jobState: '',
        resolved: null,
        polls: '3',
      }),
    ).toStrictEqual({ status: 'tracking', spec, job, polls: 3, pollErrors: 0 });
  });

  it('reads a claimed record that is gone ({} from the script) or unreadable as undefined', () => {
    expect(claimedRecordReplySchema.parse({})).toBeUndefined();
    expect(claimedRecordReplySchema.parse({ status: 'tracking', spec: '{', job: JSON.stringify(job) })).toBe(
      undefined,
    );
  });

  it('refuses a malformed hash', () => {
    const valid = { spec: JSON.stringify(spec), status: 'tracking', jobState: JSON.stringify(jobState) };
    expect(decodeRequestRecord(valid)).toBeDefined();
    expect(() => decodeRequestRecord({ ...valid, status: 'sleeping' })).toThrow();
    expect(() => decodeRequestRecord({ ...valid, spec: 'not json' })).toThrow();
    expect(() => decodeRequestRecord({ ...valid, jobState: '{"phase":"lost"}' })).toThrow();
    expect(() => decodeRequestRecord({ status: 'tracking' })).toThrow();
    expect(() => decodeRequestState(['tracking', null, 'klingon', null, null])).toThrow();
  });
});
