import type { RequestView } from '@aiqum-jobs/contracts';
import { ApiError, type ProducerApiClient } from './api-client.js';
import type { CliOutput } from './watch-batch.js';

export interface WatchRequestOptions {
  /** Where the progress goes: stderr, so that stdout holds the result alone. */
  progress: CliOutput;
  /** Interval of `GET /v1/requests/:id`. @defaultValue 500 */
  intervalMs?: number;
  /** Failed reads in a row tolerated before giving up. @defaultValue 5 */
  maxConsecutiveFailures?: number;
}

/** Follows one request until it completes, printing each change of status, and answers its final view. */
export async function watchRequest(
  client: ProducerApiClient,
  requestId: string,
  options: WatchRequestOptions,
): Promise<RequestView> {
  let failures = 0;
  let lastStatus = '';
  for (;;) {
    try {
      const request = await client.getRequest(requestId);
      failures = 0;
      if (request.status !== lastStatus) {
        lastStatus = request.status;
        options.progress.write(`request ${requestId}: ${request.status}\n`);
      }
      if (request.status === 'completed') return request;
    } catch (error) {
      failures += 1;
      const transient = error instanceof ApiError && (error.status === 0 || error.status >= 500);
      if (!transient || failures >= (options.maxConsecutiveFailures ?? 5)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
  }
}
