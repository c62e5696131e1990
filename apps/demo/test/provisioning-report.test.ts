import { type RequestView, requestEndings } from '@aiqum-jobs/contracts';
import { describe, expect, it } from 'vitest';
import { provisioningReport } from '../src/provisioning-report.js';

const at = '2026-01-01T00:00:00.000Z';

function view(ref: string, outcome: RequestView['outcome'], fields: Partial<RequestView> = {}): RequestView {
  return {
    requestId: `r-${ref}`,
    batchId: 'b-1',
    target: 'default',
    method: 'POST',
    path: '/api/datacenter/svm/svms',
    retryAmbiguous: false,
    status: 'completed',
    jobResults: [],
    polls: 0,
    submitAttempts: 0,
    createdAt: at,
    deadlineAt: at,
    ref,
    ...(outcome === undefined ? {} : { outcome }),
    ...fields,
  };
}

const skippedAfterSvm = {
  dependsOn: [{ ref: 'svm', requestId: 'r-svm' }],
  error: requestEndings.dependencyFailed({ ref: 'svm', requestId: 'r-svm', outcome: 'failed' }).error,
};
const expected = { svm: 'failed', ig: 'skipped' } as const;

describe('the report of the provisioning in order', () => {
  it('lists each ref with its outcome, what it waited for and why, and finds nothing amiss', () => {
    const report = provisioningReport(
      [view('svm', 'failed'), view('ig', 'skipped', skippedAfterSvm)],
      expected,
    );
    expect(report.mismatches).toEqual([]);
    expect(report.lines).toEqual([
      'svm  failed',
      `ig   skipped  after svm  DEPENDENCY_FAILED: ${skippedAfterSvm.error?.message}`,
    ]);
  });

  it('names a ref that ended otherwise, one skipped that reached AIQUM, one missing and one unexpected', () => {
    const report = provisioningReport(
      [
        view('svm', 'succeeded'),
        view('ig', 'skipped', { ...skippedAfterSvm, submittedAt: at }),
        view('lun', 'succeeded'),
      ],
      { ...expected, fs: 'skipped' },
    );
    expect(report.mismatches).toEqual([
      'svm: ended succeeded, expected failed',
      'ig: skipped, yet it reached AIQUM',
      'fs: no request of the batch has this ref',
      'lun: not a request the provisioning expects',
    ]);
  });
});
