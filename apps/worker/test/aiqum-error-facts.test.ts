import { AiqumConnectionError, AiqumResponseValidationError } from '@aiqum-jobs/aiqum-client';
import { describe, expect, it } from 'vitest';
import { describeError } from '../src/aiqum-error-facts.js';

describe('describeError', () => {
  it('records the status of an answer AIQUM gave but spoiled: it had done with the write by then', () => {
    const spoiled = new AiqumResponseValidationError('answered 202 with a body that is not JSON', {
      method: 'POST',
      path: '/api/storage-provider/luns',
      status: 202,
      ambiguous: true,
    });
    expect(describeError(spoiled)).toEqual({
      code: 'AIQUM_RESPONSE_INVALID',
      message: 'POST /api/storage-provider/luns: answered 202 with a body that is not JSON',
      httpStatus: 202,
    });
  });

  it('records no status when no answer came', () => {
    const cut = new AiqumConnectionError('other side closed', {
      method: 'POST',
      path: '/api/storage-provider/luns',
      retryable: false,
      ambiguous: true,
    });
    expect(describeError(cut).httpStatus).toBeUndefined();
  });
});
