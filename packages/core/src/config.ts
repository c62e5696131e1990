import { ConfigError, defaultRedisPrefix, redisPrefixSchema } from '@aiqum-jobs/contracts';
import { z } from 'zod';
import {
  type Environment,
  type ReadFile,
  readConfigFile,
  readFileUtf8,
  resolveSecret,
} from './config-file.js';
import { type RedisEndpoint, redisClusterNodesSchema } from './redis-endpoint.js';
import { Secret } from './secret.js';
import {
  type TargetConfig,
  type TargetFileEntry,
  targetFileEntrySchema,
  targetsFileSchema,
} from './target-config.js';

/** A boolean environment variable: true/false, 1/0 or yes/no. */
export const booleanFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** A comma-separated environment variable: its non-empty items, trimmed, each checked by `item`. */
export function commaListFromEnv<T extends z.ZodType<unknown, string>>(item: T) {
  return z
    .string()
    .optional()
    .transform((value) =>
      (value ?? '')
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry !== ''),
    )
    .pipe(z.array(item));
}

const sharedEnvSchema = z.object({
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
  REDIS_CLUSTER_NODES: redisClusterNodesSchema.optional(),
  AIQUM_JOBS_PREFIX: redisPrefixSchema.default(defaultRedisPrefix),
  AIQUM_JOBS_RETENTION_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(365 * 24 * 3_600)
    .default(7 * 24 * 3_600),
  AIQUM_JOBS_MAX_GROUP_IDLE_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(365 * 24 * 3_600)
    .default(7 * 24 * 3_600),
  AIQUM_TARGETS_FILE: z.string().min(1).optional(),
  AIQUM_URL: z.string().min(1).optional(),
  AIQUM_USERNAME: z.string().min(1).optional(),
  AIQUM_PASSWORD: z.string().min(1).optional(),
  AIQUM_PASSWORD_FILE: z.string().min(1).optional(),
  AIQUM_CA_FILE: z.string().min(1).optional(),
  AIQUM_INSECURE_TLS: booleanFromEnv.optional(),
  AIQUM_JOBS_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
});

/** What producer and worker share: where Redis is, the key prefix, retention, and the AIQUM targets. */
export interface SharedConfig {
  /** One server (`REDIS_URL`, default `redis://127.0.0.1:6379`) or a cluster (`REDIS_CLUSTER_NODES`). */
  readonly redis: RedisEndpoint;
  /** Hash-tagged prefix of every Redis key. */
  readonly prefix: string;
  /** How long finished requests, batches, events and queue jobs are kept, in seconds. */
  readonly retentionSeconds: number;
  /**
   * A consumer group of the events stream that has received no event for this long no longer keeps
   * events from being trimmed, in seconds. @defaultValue 604800 (7 days)
   */
  readonly maxGroupIdleSeconds: number;
  readonly targets: ReadonlyMap<string, TargetConfig>;
  /** When set, `/metrics` asks for `Authorization: Bearer <token>`; else it is open, like `/healthz`. */
  readonly metricsToken?: Secret;
}

export interface LoadConfigOptions {
  /** Reads a file as UTF-8; tests inject it. @defaultValue `fs.readFileSync` */
  readFile?: ReadFile;
}

/**
 * Reads and validates the shared configuration once, at start-up. Every problem is reported at once in
 * one {@link ConfigError}; a value that parses here is never checked again deeper in the code.
 */
export function loadSharedConfig(env: Environment, options: LoadConfigOptions = {}): SharedConfig {
  const readFile = options.readFile ?? readFileUtf8;
  const parsed = sharedEnvSchema.safeParse(env);
  if (!parsed.success) throw ConfigError.fromZod('environment', parsed.error);
  const vars = parsed.data;
  if (vars.REDIS_URL !== undefined && vars.REDIS_CLUSTER_NODES !== undefined) {
    throw new ConfigError([
      'set either REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both',
    ]);
  }

  const entries = readTargetEntries(vars, readFile);
  const problems: string[] = [];
  const targets = new Map<string, TargetConfig>();
  for (const entry of entries) {
    try {
      targets.set(entry.name, resolveTarget(entry, env, readFile));
    } catch (error) {
      problems.push(`target ${entry.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    redis:
      vars.REDIS_CLUSTER_NODES === undefined
        ? { kind: 'server', url: vars.REDIS_URL ?? 'redis://127.0.0.1:6379' }
        : { kind: 'cluster', nodes: vars.REDIS_CLUSTER_NODES },
    prefix: vars.AIQUM_JOBS_PREFIX,
    retentionSeconds: vars.AIQUM_JOBS_RETENTION_SECONDS,
    maxGroupIdleSeconds: vars.AIQUM_JOBS_MAX_GROUP_IDLE_SECONDS,
    targets,
    ...(vars.AIQUM_JOBS_METRICS_TOKEN === undefined
      ? {}
      : { metricsToken: new Secret(vars.AIQUM_JOBS_METRICS_TOKEN) }),
  };
}

function readTargetEntries(vars: z.output<typeof sharedEnvSchema>, readFile: ReadFile): TargetFileEntry[] {
  const shortcutUsed = [
    vars.AIQUM_URL,
    vars.AIQUM_USERNAME,
    vars.AIQUM_PASSWORD,
    vars.AIQUM_PASSWORD_FILE,
  ].some((value) => value !== undefined);
  if (vars.AIQUM_TARGETS_FILE && shortcutUsed) {
    throw new ConfigError([
      'set either AIQUM_TARGETS_FILE or the single-target shortcut (AIQUM_URL, AIQUM_USERNAME, AIQUM_PASSWORD...), not both',
    ]);
  }
  if (vars.AIQUM_TARGETS_FILE) {
    return readConfigFile('AIQUM_TARGETS_FILE', vars.AIQUM_TARGETS_FILE, targetsFileSchema, readFile).targets;
  }
  if (!shortcutUsed) {
    throw new ConfigError([
      'no AIQUM target configured: set AIQUM_TARGETS_FILE, or AIQUM_URL with AIQUM_USERNAME and AIQUM_PASSWORD',
    ]);
  }
  const shortcut = targetFileEntrySchema.safeParse(
    dropUndefined({
      name: 'default',
      url: vars.AIQUM_URL,
      username: vars.AIQUM_USERNAME,
      password: vars.AIQUM_PASSWORD,
      passwordFile: vars.AIQUM_PASSWORD_FILE,
      caFile: vars.AIQUM_CA_FILE,
      insecureTls: vars.AIQUM_INSECURE_TLS,
    }),
  );
  if (!shortcut.success) {
    throw new ConfigError(
      shortcut.error.issues.map((issue) => `${shortcutVariable(issue.path[0])}: ${issue.message}`),
    );
  }
  return [shortcut.data];
}

function resolveTarget(entry: TargetFileEntry, env: Environment, readFile: ReadFile): TargetConfig {
  const { password, passwordFile, passwordEnv, ...rest } = entry;
  const source = { value: password, file: passwordFile, env: passwordEnv };
  return { ...rest, password: resolveSecret('password', source, env, readFile) };
}

const shortcutVariables: Readonly<Record<string, string>> = {
  name: 'AIQUM_URL',
  url: 'AIQUM_URL',
  username: 'AIQUM_USERNAME',
  password: 'AIQUM_PASSWORD',
  passwordFile: 'AIQUM_PASSWORD_FILE',
  caFile: 'AIQUM_CA_FILE',
  insecureTls: 'AIQUM_INSECURE_TLS',
};

function shortcutVariable(field: PropertyKey | undefined): string {
  return shortcutVariables[String(field)] ?? 'AIQUM_URL';
}

function dropUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
