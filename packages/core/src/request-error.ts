import { z } from 'zod';

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

/** Codes of errors that aiqum-jobs itself decides, beside those of the AIQUM client. */
export const requestErrorCodes = {
  /** The AIQUM Job ended with status `error`; the message is its failing task's `failure_reason`. */
  jobError: 'AIQUM_JOB_ERROR',
  /** The AIQUM Job was aborted (state `aborted`), e.g. by an administrator; the message says why if AIQUM did. */
  jobAborted: 'AIQUM_JOB_ABORTED',
  /** The write may have reached AIQUM but no answer was seen (a crash, a reset, a timeout). */
  submissionAmbiguous: 'SUBMISSION_AMBIGUOUS',
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
} as const;
