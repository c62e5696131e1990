import type { Logger } from '@aiqum-jobs/contracts';
import { ProducerError, producerErrorCodes } from './producer-error.js';

/**
 * The one mapping of storage failures: whatever a storage call throws that is not already a
 * {@link ProducerError} (the caller's mistake, a missing record) is the store's, answered 503.
 */
export function storeUnavailable(operation: string, error: unknown, logger: Logger): ProducerError {
  if (error instanceof ProducerError) return error;
  logger.warn({ operation, err: error }, 'Redis operation failed');
  return new ProducerError(
    producerErrorCodes.storeUnavailable,
    'the store (Redis) is unavailable; retry later',
    {
      cause: error,
    },
  );
}

/** Runs a storage call: a failure that is not the caller's is a storage failure, never a 500 or a hang. */
export async function guardStore<T>(operation: string, logger: Logger, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw storeUnavailable(operation, error, logger);
  }
}
