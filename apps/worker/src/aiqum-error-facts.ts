import { AiqumApiError, type AiqumError } from '@aiqum-jobs/aiqum-client';
import type { RequestError } from '@aiqum-jobs/contracts';

/** The server's `Retry-After`, when the failed call had one. */
export function retryAfterOf(error: AiqumError): number | undefined {
  return 'retryAfterMs' in error && typeof error.retryAfterMs === 'number' ? error.retryAfterMs : undefined;
}

/** An error as a request records it: the client's stable code and message, AIQUM's own code and target. */
export function describeError(error: AiqumError): RequestError {
  const described: RequestError = { code: error.code, message: error.message };
  if (error instanceof AiqumApiError) {
    described.httpStatus = error.status;
    if (error.error.code !== undefined) described.aiqumCode = error.error.code;
    if (error.error.target !== undefined) described.aiqumTarget = error.error.target;
  }
  return described;
}
