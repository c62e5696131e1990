import { z } from 'zod';
import { isoTimeSchema } from './iso-time.js';
import { jobRefSchema } from './job-ref.js';
import { jobResultSchema } from './job-result.js';
import { requestOutcomeSchema } from './outcome.js';
import { requestErrorSchema } from './request-error.js';

/**
 * One attempt of a request with a retry policy, as its record and `request.completed` list them: each attempt
 * is a submission of its own (a new AIQUM job). `startedAt` is when the attempt began: the request's creation
 * for the first, the end of the backoff for the others.
 */
export const requestAttemptSchema = z.object({
  /** 1 for the first attempt. */
  number: z.number().int().min(1),
  outcome: requestOutcomeSchema,
  error: requestErrorSchema.optional(),
  /** The AIQUM job this attempt started, when AIQUM accepted it. */
  job: jobRefSchema.optional(),
  jobResults: z.array(jobResultSchema),
  startedAt: isoTimeSchema,
  finishedAt: isoTimeSchema,
});

export type RequestAttempt = z.output<typeof requestAttemptSchema>;
