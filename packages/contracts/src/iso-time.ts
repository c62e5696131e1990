import { z } from 'zod';

/** A time as the API and the events show it: ISO 8601 with an offset (`new Date(ms).toISOString()`). */
export const isoTimeSchema = z.iso.datetime({ offset: true });

/** Epoch milliseconds as an ISO 8601 time. */
export function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
