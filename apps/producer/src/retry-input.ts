import { type RequestOutcome, requestOutcomes } from '@aiqum-jobs/contracts';
import { z } from 'zod';

/** The outcomes a retry can start again from: every one but success. */
export const retriableOutcomes = requestOutcomes.filter(
  (outcome): outcome is Exclude<RequestOutcome, 'succeeded'> => outcome !== 'succeeded',
);

/**
 * What a batch retry retries when it names no outcomes. `skipped` too: a skipped request never reached
 * AIQUM, and the failed dependency that skipped it is retried with it, in the same order.
 */
export const defaultBatchRetryOutcomes: readonly RequestOutcome[] = ['failed', 'timed_out', 'skipped'];

const forceSchema = z
  .boolean()
  .optional()
  .describe(
    'retry an `unknown` write anyway: the write may have reached AIQUM, and the retry may do it twice',
  );

/** Body of `POST /v1/requests/:id/retry`. */
export const retryRequestInputSchema = z.object({ force: forceSchema }).strict();
export type RetryRequestInput = z.input<typeof retryRequestInputSchema>;

/** Body of `POST /v1/batches/:id/retry`. */
export const retryBatchInputSchema = z
  .object({
    outcomes: z
      .array(z.enum(retriableOutcomes as [RequestOutcome, ...RequestOutcome[]]))
      .min(1)
      .optional()
      .describe('the outcomes of the requests to retry; default `failed`, `timed_out` and `skipped`'),
    force: forceSchema,
  })
  .strict();
export type RetryBatchInput = z.input<typeof retryBatchInputSchema>;
