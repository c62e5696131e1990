import { z } from 'zod';

/** The default key prefix: a Redis Cluster hash tag, so every key of one deployment lives in one slot. */
export const defaultRedisPrefix = '{aiqum-jobs}';

export const redisPrefixSchema = z
  .string()
  .regex(
    /^\{[A-Za-z0-9_.:-]{1,64}\}$/,
    'must be a Redis Cluster hash tag such as {aiqum-jobs}: braces around 1-64 letters, digits, "_", ".", ":" or "-"',
  );
