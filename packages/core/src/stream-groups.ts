import type { RedisConnection } from '@aiqum-jobs/contracts';
import { z } from 'zod';

/** `XINFO GROUPS` / `XINFO CONSUMERS` rows: flat lists of field names and values, as objects. */
export const infoRowsSchema = z.array(
  z.array(z.unknown()).transform((flat) => {
    const row: Record<string, unknown> = {};
    for (let index = 0; index + 1 < flat.length; index += 2) row[String(flat[index])] = flat[index + 1];
    return row;
  }),
);

/** One `XINFO GROUPS` entry; `lag` is nil when Redis cannot compute it. */
const streamGroupSchema = z.object({
  name: z.string(),
  consumers: z.number(),
  pending: z.number(),
  'last-delivered-id': z.string(),
  lag: z.number().int().nonnegative().nullable().optional(),
});

export type StreamGroup = z.output<typeof streamGroupSchema>;

/** The consumer groups of a stream; none when the stream does not exist. */
export async function readStreamGroups(redis: RedisConnection, stream: string): Promise<StreamGroup[]> {
  let reply: unknown;
  try {
    reply = await redis.xinfo('GROUPS', stream);
  } catch (error) {
    if (error instanceof Error && /no such key/i.test(error.message)) return [];
    throw error;
  }
  return infoRowsSchema.parse(reply).map((row) => streamGroupSchema.parse(row));
}
