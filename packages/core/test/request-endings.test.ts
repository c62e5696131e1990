import {
  type RequestEnding,
  type RequestError,
  requestEndings,
  requestErrorCodes,
} from '@aiqum-jobs/contracts';
import { describe, expect, it } from 'vitest';

const clientError: RequestError = { code: 'AIQUM_TIMEOUT', message: 'POST /api/x timed out' };

/** Every ending of the catalogue, built with sample arguments. */
const endings: Record<keyof typeof requestEndings, RequestEnding> = {
  targetNotConfigured: requestEndings.targetNotConfigured('t'),
  targetNotServed: requestEndings.targetNotServed('t', 700, 600),
  deadlineBeforeSubmission: requestEndings.deadlineBeforeSubmission(),
  deadlineWhileRunning: requestEndings.deadlineWhileRunning('running'),
  submissionInterrupted: requestEndings.submissionInterrupted(),
  submissionAmbiguous: requestEndings.submissionAmbiguous(clientError),
  reconciliationUnsettled: requestEndings.reconciliationUnsettled('jobs a, b', clientError),
  submissionNotReceived: requestEndings.submissionNotReceived('its deadline passed'),
  submissionFailed: requestEndings.submissionFailed(clientError, 10),
  jobError: requestEndings.jobError('disk full', 42),
  jobAborted: requestEndings.jobAborted(undefined, undefined),
  jobGone: requestEndings.jobGone('/api/management-server/jobs/1'),
  jobUnreadable: requestEndings.jobUnreadable(clientError, 10, false),
  nameNotFound: requestEndings.nameNotFound('svm', 'SVM "svm1"', 't'),
  nameAmbiguous: requestEndings.nameAmbiguous(
    'svm',
    'SVM "svm1"',
    { described: ['svm1 key a', 'svm1 key b'], truncated: false, candidates: [] },
    'give its key',
  ),
  nameLookupFailed: requestEndings.nameLookupFailed('svm', 'SVM "svm1"', clientError),
  cancelled: requestEndings.cancelled(),
  trackedWithoutJob: requestEndings.trackedWithoutJob(),
  pollsFailedInside: requestEndings.pollsFailedInside(5, 'boom'),
  queueJobFailed: requestEndings.queueJobFailed('stalled'),
  dependencyFailed: requestEndings.dependencyFailed({ ref: 'svm', requestId: 'r1', outcome: 'failed' }),
  jobResultMissing: requestEndings.jobResultMissing(
    'body.svm.key',
    { ref: 'svm', requestId: 'r1' },
    'svmKey',
    [],
  ),
};

/** The endings that carry the AIQUM client's error code rather than one of our own. */
const keepingClientCode = new Set(['submissionFailed', 'jobUnreadable', 'nameLookupFailed']);

describe('requestEndings, the catalogue of endings aiqum-jobs decides', () => {
  it('uses every code of requestErrorCodes, and only those, for the endings of its own', () => {
    const ownCodes = Object.entries(endings)
      .filter(([name]) => !keepingClientCode.has(name))
      .map(([, ending]) => ending.error.code);
    expect(new Set(ownCodes)).toEqual(new Set(Object.values(requestErrorCodes)));
  });

  it('keeps the client error code, and its facts, where the ending carries the client error', () => {
    for (const name of keepingClientCode) {
      expect(endings[name as keyof typeof endings].error).toMatchObject({ code: clientError.code });
    }
  });

  it('writes AIQUM_JOB_ERROR with the failing task reason and AIQUM code of a Job that ended in error', () => {
    expect(endings.jobError).toEqual({
      outcome: 'failed',
      error: { code: 'AIQUM_JOB_ERROR', message: 'disk full', aiqumCode: 42 },
    });
  });
});
