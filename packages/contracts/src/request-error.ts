import { z } from 'zod';
import type { RequestOutcome } from './outcome.js';

/** Why a request did not succeed, in terms a caller can act on. */
export const requestErrorSchema = z.object({
  /** Stable code: an AIQUM client code such as `AIQUM_BAD_REQUEST`, or one of {@link requestErrorCodes}. */
  code: z.string(),
  message: z.string(),
  /** HTTP status AIQUM answered, when it answered. */
  httpStatus: z.number().int().optional(),
  /** AIQUM's own `error.code`. */
  aiqumCode: z.union([z.string(), z.number()]).optional(),
  /** AIQUM's `error.target`: the field it rejected. */
  aiqumTarget: z.string().optional(),
  /** The field of the request a name lookup failed for (`svm`, `lun_maps.0.igroup`, `path`). */
  field: z.string().optional(),
  /** The objects an ambiguous name matched, so the caller can qualify it. */
  candidates: z
    .array(
      z.object({
        key: z.string(),
        name: z.string(),
        svm: z.string().optional(),
        cluster: z.string().optional(),
      }),
    )
    .optional(),
});

export type RequestError = z.output<typeof requestErrorSchema>;

/** One of the objects an ambiguous name matched. */
export type NameCandidate = NonNullable<RequestError['candidates']>[number];

/** Codes of errors that aiqum-jobs itself decides, beside those of the AIQUM client. */
export const requestErrorCodes = {
  /** The AIQUM Job ended with status `error`; the message is its failing task's `failure_reason`. */
  jobError: 'AIQUM_JOB_ERROR',
  /** The AIQUM Job was aborted (state `aborted`), e.g. by an administrator; the message says why if AIQUM did. */
  jobAborted: 'AIQUM_JOB_ABORTED',
  /**
   * The write may have reached AIQUM but no answer was seen (a crash, a reset, a timeout), and reconciliation
   * could not settle it (the message says what it found).
   */
  submissionAmbiguous: 'SUBMISSION_AMBIGUOUS',
  /**
   * A write whose answer was lost, which reconciliation proved AIQUM never received, could not be submitted
   * again (its deadline passed, or its submit attempts were used up). Safe to retry.
   */
  submissionNotReceived: 'SUBMISSION_NOT_RECEIVED',
  /** The AIQUM Job answered 404 after it had been seen: finished and purged, or lost. */
  jobGone: 'JOB_GONE',
  /** The request's deadline passed before its Job was seen terminal. */
  deadlineExceeded: 'DEADLINE_EXCEEDED',
  /** A caller cancelled the request. */
  cancelled: 'CANCELLED',
  /**
   * The request's target is served by no worker: a queued request picked up by a worker without it (nothing
   * was sent), or a tracked one whose target no worker served for the orphaned-target grace period.
   */
  unknownTarget: 'UNKNOWN_TARGET',
  /** A name in the request matches no object of its kind; nothing was submitted. */
  nameNotFound: 'NAME_NOT_FOUND',
  /** A name in the request matches more than one object; nothing was submitted. */
  nameAmbiguous: 'NAME_AMBIGUOUS',
  /** The worker gave up after repeated internal failures (see the worker log). */
  internal: 'INTERNAL_ERROR',
  /**
   * A request of the batch this one depends on (`dependsOn`) did not succeed (nor end `warning` with
   * `proceedOnWarning`): this one was skipped, never sent. The message names the dependency and its outcome.
   */
  dependencyFailed: 'DEPENDENCY_FAILED',
  /** A `$jobResult` reference names a result its dependency's AIQUM job did not give; nothing was submitted. */
  jobResultMissing: 'JOB_RESULT_MISSING',
} as const;

/** A request another depends on, as messages name it. */
export interface DependencyFacts {
  ref: string;
  requestId: string;
  outcome: RequestOutcome;
}

/** An ending with an error of aiqum-jobs' own: the outcome it records and why. */
export interface RequestEnding {
  outcome: RequestOutcome;
  error: RequestError;
}

/** Why resubmitting is left to the caller, said by every ending of a write that may have reached AIQUM. */
const notSubmittedAgain = 'so it is not submitted again (set retryAmbiguous to resubmit such requests)';

/**
 * Every ending aiqum-jobs decides itself, with its outcome, error code and message: the one place these are
 * written. Endings carrying an AIQUM client error keep that error's code (`AIQUM_BAD_REQUEST`, ...).
 */
export const requestEndings = {
  /** A worker picked up a request for a target it does not serve; nothing was sent. */
  targetNotConfigured: (target: string): RequestEnding => ({
    outcome: 'failed',
    error: {
      code: requestErrorCodes.unknownTarget,
      message: `target "${target}" is not configured on this worker`,
    },
  }),
  /** A tracked request whose target no worker served for the orphaned-target grace period. */
  targetNotServed: (target: string, unservedSeconds: number, graceSeconds: number): RequestEnding => ({
    outcome: 'unknown',
    error: {
      code: requestErrorCodes.unknownTarget,
      message:
        `no worker served target "${target}" for ${unservedSeconds} s ` +
        `(grace ${graceSeconds} s): its AIQUM job is no longer tracked, so its outcome cannot be known`,
    },
  }),
  deadlineBeforeSubmission: (): RequestEnding => ({
    outcome: 'timed_out',
    error: {
      code: requestErrorCodes.deadlineExceeded,
      message: 'the deadline passed before the request could be submitted',
    },
  }),
  /** `state`: the AIQUM job's state at the last poll. */
  deadlineWhileRunning: (state: string | undefined): RequestEnding => ({
    outcome: 'timed_out',
    error: {
      code: requestErrorCodes.deadlineExceeded,
      message: `the deadline passed while the AIQUM job was still ${state ?? 'running'}`,
    },
  }),
  /** A claimed submission whose worker stopped before AIQUM answered. */
  submissionInterrupted: (): RequestEnding => ({
    outcome: 'unknown',
    error: {
      code: requestErrorCodes.submissionAmbiguous,
      message: `the worker submitting this request stopped before AIQUM answered: AIQUM may or may not have accepted it, ${notSubmittedAgain}`,
    },
  }),
  /** A write that failed in a way that may have reached AIQUM; `described`: the client's error. */
  submissionAmbiguous: (described: RequestError): RequestEnding => ({
    outcome: 'unknown',
    error: {
      ...described,
      code: requestErrorCodes.submissionAmbiguous,
      message: `${described.message}; the call may have reached AIQUM, ${notSubmittedAgain}`,
    },
  }),
  /**
   * Reconciliation could not tell whether the write reached AIQUM; `found`: what it found (jobs, objects).
   * `described`: the client's error that made the write ambiguous, when this worker saw it.
   */
  reconciliationUnsettled: (found: string, described: RequestError | undefined): RequestEnding => ({
    outcome: 'unknown',
    error: {
      ...described,
      code: requestErrorCodes.submissionAmbiguous,
      message: `${described ? `${described.message}; ` : ''}the call may have reached AIQUM and reconciliation could not settle it (${found}), ${notSubmittedAgain}`,
    },
  }),
  /** Reconciliation proved AIQUM never received the write, and it may not be sent again; `why`: why not. */
  submissionNotReceived: (why: string): RequestEnding => ({
    outcome: 'failed',
    error: {
      code: requestErrorCodes.submissionNotReceived,
      message: `the answer to the write was lost and reconciliation proved AIQUM never received it, but it was not submitted again: ${why}`,
    },
  }),
  /** A submission AIQUM refused, or that failed `attempts` times in ways that never reached AIQUM. */
  submissionFailed: (described: RequestError, retriedAttempts: number | undefined): RequestEnding => ({
    outcome: 'failed',
    error: {
      ...described,
      message:
        retriedAttempts === undefined
          ? described.message
          : `${described.message} (gave up after ${retriedAttempts} attempts)`,
    },
  }),
  /** The AIQUM Job ended with status `error`; `message`: its failing task's `failure_reason`. */
  jobError: (message: string | undefined, aiqumCode: string | number | undefined): RequestEnding => ({
    outcome: 'failed',
    error: {
      code: requestErrorCodes.jobError,
      message: message ?? 'the AIQUM job ended in error without a failure reason',
      ...(aiqumCode === undefined ? {} : { aiqumCode }),
    },
  }),
  jobAborted: (message: string | undefined, aiqumCode: string | number | undefined): RequestEnding => ({
    outcome: 'failed',
    error: {
      code: requestErrorCodes.jobAborted,
      message: message ?? 'the AIQUM job was aborted',
      ...(aiqumCode === undefined ? {} : { aiqumCode }),
    },
  }),
  jobGone: (href: string): RequestEnding => ({
    outcome: 'unknown',
    error: {
      code: requestErrorCodes.jobGone,
      message: `AIQUM answered 404 for job ${href}, which it had accepted: it finished and was purged, or was lost, so its outcome cannot be known`,
    },
  }),
  /** Polls failed `pollErrors` times in a row (or past the deadline); `described`: the last one's client error. */
  jobUnreadable: (described: RequestError, pollErrors: number, pastDeadline: boolean): RequestEnding => ({
    outcome: pastDeadline ? 'timed_out' : 'unknown',
    error: {
      ...described,
      message: `the AIQUM job could not be read (${pollErrors} failed polls in a row): ${described.message}`,
    },
  }),
  /** `what`: the named object as the caller gave it (`SVM "svm1"`); nothing was submitted. */
  nameNotFound: (field: string, what: string, target: string): RequestEnding => ({
    outcome: 'failed',
    error: {
      code: requestErrorCodes.nameNotFound,
      message: `${field}: no ${what} exists on target ${target}; nothing was submitted`,
      field,
    },
  }),
  /**
   * `matches`: the objects the name matched, described for people; `truncated` when there may be more;
   * `hint`: how to tell them apart. Nothing was submitted.
   */
  nameAmbiguous: (
    field: string,
    what: string,
    matches: { described: string[]; truncated: boolean; candidates: NameCandidate[] },
    hint: string,
  ): RequestEnding => ({
    outcome: 'failed',
    error: {
      code: requestErrorCodes.nameAmbiguous,
      message: `${field}: ${what} matches ${matches.truncated ? 'at least ' : ''}${matches.described.length} objects (${matches.described.join('; ')}); ${hint}. Nothing was submitted`,
      field,
      candidates: matches.candidates,
    },
  }),
  /** A name lookup that failed; `described`: the client's error. Retried while it is retryable. */
  nameLookupFailed: (field: string, what: string, described: RequestError): RequestEnding => ({
    outcome: 'failed',
    error: { ...described, message: `${field}: looking up ${what} failed: ${described.message}`, field },
  }),
  cancelled: (): RequestEnding => ({
    outcome: 'cancelled',
    error: {
      code: requestErrorCodes.cancelled,
      message: 'cancelled by the caller; the AIQUM job itself, if one was started, keeps running',
    },
  }),
  /** A dependency ended otherwise than the dependant accepts: the dependant never reaches AIQUM. */
  dependencyFailed: (dependency: DependencyFacts): RequestEnding => ({
    outcome: 'skipped',
    error: {
      code: requestErrorCodes.dependencyFailed,
      message: `skipped: dependency "${dependency.ref}" (request ${dependency.requestId}) ended ${dependency.outcome}; nothing was submitted`,
    },
  }),
  /** `available`: the names of the results the dependency's job gave. Nothing was submitted. */
  jobResultMissing: (
    field: string,
    dependency: { ref: string; requestId: string },
    name: string,
    available: readonly string[],
  ): RequestEnding => ({
    outcome: 'failed',
    error: {
      code: requestErrorCodes.jobResultMissing,
      message:
        `${field}: dependency "${dependency.ref}" (request ${dependency.requestId}) has no job result "${name}" ` +
        `(it has ${available.length === 0 ? 'none' : available.map((result) => `"${result}"`).join(', ')}); nothing was submitted`,
      field,
    },
  }),
  trackedWithoutJob: (): RequestEnding => ({
    outcome: 'unknown',
    error: { code: requestErrorCodes.internal, message: 'the tracked request has no job reference' },
  }),
  pollsFailedInside: (pollFailures: number, reason: string): RequestEnding => ({
    outcome: 'unknown',
    error: {
      code: requestErrorCodes.internal,
      message: `the worker gave up on this request after ${pollFailures} polls in a row failed inside it: ${reason}`,
    },
  }),
  /** The request's queue job failed for good (internal errors, or stalled too often). */
  queueJobFailed: (reason: string): RequestEnding => ({
    outcome: 'unknown',
    error: { code: requestErrorCodes.internal, message: `the worker gave up on this request: ${reason}` },
  }),
} as const;
