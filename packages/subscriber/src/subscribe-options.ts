import {
  ConfigError,
  defaultRedisPrefix,
  type EventType,
  eventTypes,
  type Logger,
  type RedisConnection,
  redisPrefixSchema,
  streamIdSchema,
} from '@aiqum-jobs/contracts';
import { z } from 'zod';

export interface SubscribeOptions {
  /**
   * The deployment's Redis (an ioredis `Redis` or `Cluster`). The subscription sends its acknowledgements
   * and claims on it, and its blocking reads on a connection of its own duplicated from it.
   */
  redis: RedisConnection;
  /** Key prefix of the deployment (`AIQUM_JOBS_PREFIX`). @defaultValue `{aiqum-jobs}` */
  prefix?: string;
  /**
   * Consumer group: every group receives every event once; the consumers of one group share them. Created
   * when missing.
   */
  group: string;
  /**
   * This consumer's name within the group. Keep it stable across restarts of the same process (a host
   * name, a pod name): the events it had not acknowledged when it stopped are delivered to it first.
   */
  consumer: string;
  /** Only events of these types; the others are acknowledged without being delivered. @defaultValue every type */
  types?: readonly EventType[];
  /** Only events of this batch; the others are acknowledged without being delivered. */
  batchId?: string;
  /**
   * An event delivered to another consumer of the group and not acknowledged for this long is taken over
   * (that consumer is taken to be dead), in milliseconds. Keep it above `count` × the longest handler run,
   * or a slow consumer's events are handled twice. @defaultValue 60000
   */
  claimIdleMs?: number;
  /** Longest single blocking read, in milliseconds. @defaultValue 5000 */
  blockMs?: number;
  /** Most events read or claimed at once. @defaultValue 10 */
  count?: number;
  /**
   * Where a group created by this call starts: `0` for every event the stream still retains, `$` for
   * only events added from now on, or a stream entry id. Ignored when the group exists. @defaultValue `0`
   */
  startId?: string;
  /** Where warnings go (an entry that does not parse, a Redis error retried). @defaultValue a pino logger on stdout */
  logger?: Logger;
}

const eventTypeSchema = z.string().refine((type) => (eventTypes as readonly string[]).includes(type), {
  error: `must be one of ${eventTypes.join(', ')}`,
});

const subscribeOptionsSchema = z.object({
  prefix: redisPrefixSchema.default(defaultRedisPrefix),
  group: z.string().min(1),
  consumer: z.string().min(1),
  types: z.array(eventTypeSchema).min(1).optional(),
  batchId: z.string().min(1).optional(),
  claimIdleMs: z.number().int().min(1).default(60_000),
  blockMs: z.number().int().min(1).default(5_000),
  count: z.number().int().min(1).max(10_000).default(10),
  startId: z.union([z.literal('$'), streamIdSchema]).default('0'),
});

export type ParsedSubscribeOptions = z.output<typeof subscribeOptionsSchema>;

/** Checks the options once, when `subscribe()` is called; a bad one throws a {@link ConfigError}. */
export function parseSubscribeOptions(options: SubscribeOptions): ParsedSubscribeOptions {
  const { redis: _redis, logger: _logger, ...values } = options;
  const parsed = subscribeOptionsSchema.safeParse(values);
  if (!parsed.success) throw ConfigError.fromZod('subscribe options', parsed.error);
  return parsed.data;
}
