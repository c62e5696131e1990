import { AiqumApiError, type AiqumError, AiqumResponseValidationError } from '@aiqum-jobs/aiqum-client';
import type { RequestError } from '@aiqum-jobs/contracts';

/** The server's `Retry-After`, when the failed call had one. */
export function retryAfterOf(error: AiqumError): number | undefined {
  return 'retryAfterMs' in error && typeof error.retryAfterMs === 'number' ? error.retryAfterMs : undefined;
}

/**
 * An error as a request records it: the client's stable code and message, the status AIQUM answered with
 * (an answer it gave but spoiled too: it had done with the call by then), AIQUM's own code and target.
 */
export function describeError(error: AiqumError): RequestError {
  const described: RequestError = { code: error.code, message: error.message };
  if (error instanceof AiqumResponseValidationError && error.status !== undefined) {
    described.httpStatus = error.status;
  }
  if (error instanceof AiqumApiError) {
    described.httpStatus = error.status;
    if (error.error.code !== undefined) described.aiqumCode = error.error.code;
    if (error.error.target !== undefined) described.aiqumTarget = error.error.target;
  }
  return described;
}
