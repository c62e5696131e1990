import type { SleepFunction } from './client-options.js';
import { AiqumAbortError } from './errors.js';

/** Sleeps with the injected `sleep`, turning the caller's abort into `AiqumAbortError`. */
export async function abortableSleep(
  sleep: SleepFunction,
  ms: number,
  signal: AbortSignal | undefined,
  context: { method: string; path: string },
): Promise<void> {
  try {
    await sleep(ms, signal);
  } catch (error) {
    if (signal?.aborted) throw new AiqumAbortError({ ...context, cause: error, ambiguous: false });
    throw error;
  }
}
