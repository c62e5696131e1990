import {
  AiqumAbortError,
  AiqumConnectionError,
  type AiqumError,
  AiqumInvalidRequestError,
  AiqumTimeoutError,
} from './errors.js';
import { isIdempotent } from './http-method.js';

// Node and OpenSSL codes for a certificate the client does not trust: retrying cannot help.
const certificateCodes = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

// Failures before the request could be written: AIQUM never saw it.
const notSentCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
  'EPROTO',
]);

const undiciTimeoutCodes = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Error codes along the cause chain (undici wraps socket errors). */
function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth += 1) {
    if ('code' in current && typeof current.code === 'string') codes.push(current.code);
    current = 'cause' in current ? current.cause : undefined;
  }
  return codes;
}

export interface FailedCall {
  method: string;
  path: string;
  timeoutMs: number;
  callerSignal: AbortSignal | undefined;
  timeoutSignal: AbortSignal;
}

/**
 * Classifies a failed HTTP exchange. Anything not known to have failed before sending is treated as
 * possibly processed: for a write that means ambiguous, so the caller never blindly submits it twice.
 */
export function toNetworkError(error: unknown, call: FailedCall): AiqumError {
  const idempotent = isIdempotent(call.method);
  const context = { method: call.method, path: call.path, cause: error };
  const maybeProcessed = { retryable: idempotent, ambiguous: !idempotent };
  if (call.callerSignal?.aborted) return new AiqumAbortError({ ...context, ambiguous: !idempotent });
  if (call.timeoutSignal.aborted) {
    return new AiqumTimeoutError(`no complete answer within ${call.timeoutMs} ms`, {
      ...context,
      ...maybeProcessed,
    });
  }
  const codes = codesOf(error);
  const code = codes[0] ?? 'unknown';
  if (codes.includes('UND_ERR_INVALID_ARG')) {
    return new AiqumInvalidRequestError(`undici refused the request: ${errorMessage(error)}`, context);
  }
  const certificateCode = codes.find((candidate) => certificateCodes.has(candidate));
  if (certificateCode !== undefined) {
    return new AiqumConnectionError(
      `TLS certificate not trusted (${certificateCode}); configure \`ca\` with the CA that signed the AIQUM certificate (aiqum-jobs targets: \`caFile\`, or AIQUM_CA_FILE)`,
      { ...context, retryable: false, ambiguous: false },
    );
  }
  if (codes.some((candidate) => notSentCodes.has(candidate) || candidate.startsWith('ERR_SSL_'))) {
    return new AiqumConnectionError(`could not connect (${code})`, {
      ...context,
      retryable: true,
      ambiguous: false,
    });
  }
  if (codes.some((candidate) => undiciTimeoutCodes.has(candidate))) {
    return new AiqumTimeoutError(`server stopped answering (${code})`, { ...context, ...maybeProcessed });
  }
  return new AiqumConnectionError(`connection failed after sending (${code}): ${errorMessage(error)}`, {
    ...context,
    ...maybeProcessed,
  });
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
