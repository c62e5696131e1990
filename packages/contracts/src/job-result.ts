import { z } from 'zod';

/** One of the results an AIQUM job reports when it ends (the key of what it created, ...). */
export const jobResultSchema = z.object({ name: z.string(), value: z.string() });
export type JobResult = z.output<typeof jobResultSchema>;
