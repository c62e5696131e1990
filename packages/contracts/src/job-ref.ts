import { z } from 'zod';

/**
 * A reference to an asynchronous job, as plain JSON so a worker can store it. `href` is the path to poll.
 * AIQUM jobs are named by an opaque `key`; ONTAP jobs reached through the gateway API by a `uuid`.
 */
export const jobRefSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('aiqum'),
    key: z.string().min(1),
    href: z.string().min(1),
    source: z.enum(['job.key', 'operationId', 'job_key']),
  }),
  z.object({
    kind: z.literal('ontap'),
    uuid: z.string().min(1),
    href: z.string().min(1),
    source: z.literal('job.uuid'),
  }),
]);

export type JobRef = z.infer<typeof jobRefSchema>;
