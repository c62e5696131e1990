import { looksLikeAiqumJobsApi, pollPolicySchema, targetNameSchema } from '@aiqum-jobs/contracts';
import { z } from 'zod';
import type { Secret } from './secret.js';

/** Per-target limits, shared by every worker process through Redis. */
export const targetLimitsSchema = z
  .object({
    /** Calls to this AIQUM in flight at once, submissions and polls together. @defaultValue 6 */
    maxConcurrent: z.number().int().min(1).max(1_000).default(6),
    /** Calls started per second, submissions and polls together. @defaultValue 20 */
    maxPerSecond: z.number().min(0.1).max(10_000).default(20),
  })
  .strict();

/**
 * Long polling of AIQUM Jobs, off unless configured. Unified Manager's API specification has no long poll;
 * the only documented one (ONTAP Select Deploy's, which AIQUM's docs page copies) takes `poll_timeout`
 * (1-120 s) and `last_modified`, and answers on any change of the job. Names stay configurable for servers
 * that differ.
 */
export const longPollConfigSchema = z
  .object({
    /** Query parameter holding the wait in seconds. @defaultValue `poll_timeout` */
    parameter: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, 'must be a plain query parameter name')
      .default('poll_timeout'),
    /** Query parameter of the last change the caller has seen. @defaultValue `last_modified` */
    lastModifiedParameter: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, 'must be a plain query parameter name')
      .default('last_modified'),
    /** Longest wait one long poll may ask for, in seconds (Deploy's limit is 120). @defaultValue 30 */
    maxWaitSeconds: z.number().int().min(1).max(120).default(30),
  })
  .strict();

/** One AIQUM server as written in the targets file, before its password is resolved. */
export const targetFileEntrySchema = z
  .object({
    name: targetNameSchema,
    url: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://aiqum.example.com' })
      .superRefine((value, context) => {
        const url = new URL(value);
        if (looksLikeAiqumJobsApi(url)) {
          context.addIssue({
            code: 'custom',
            message:
              'looks like the aiqum-jobs API (a /v1 path), not an AIQUM server: that URL goes in AIQUM_JOBS_URL, for the CLI',
          });
        } else if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username) {
          context.addIssue({
            code: 'custom',
            message: 'must be the server origin only (no path, query, fragment or credentials)',
          });
        }
      }),
    username: z.string().min(1),
    /** The password itself; prefer `passwordFile` or `passwordEnv` so it stays out of the file. */
    password: z.string().min(1).optional(),
    /** A file whose content (trailing newline removed) is the password. */
    passwordFile: z.string().min(1).optional(),
    /** An environment variable holding the password. */
    passwordEnv: z.string().min(1).optional(),
    /** PEM file of the CA that signed the server certificate. */
    caFile: z.string().min(1).optional(),
    /** Skip TLS verification. Logged as a warning: use `caFile` instead. @defaultValue false */
    insecureTls: z.boolean().default(false),
    /** Long polling of AIQUM Jobs; absent means interval polling only. */
    longPoll: longPollConfigSchema.optional(),
    limits: targetLimitsSchema.default({ maxConcurrent: 6, maxPerSecond: 20 }),
    poll: pollPolicySchema.default({
      initialDelayMs: 1_000,
      multiplier: 1.5,
      maxDelayMs: 30_000,
      jitter: 0.2,
      retryAfterMinMs: 500,
      retryAfterMaxMs: 120_000,
    }),
    /**
     * How long a name looked up before a submission (an SVM, a service level...) is reused by this worker
     * for other requests to this target, in seconds; a name that matched nothing is never remembered.
     * @defaultValue 60
     */
    nameCacheSeconds: z.number().int().min(0).max(3_600).default(60),
    /** Deadline of a request that sets none, in seconds. @defaultValue 21600 (6 hours) */
    defaultDeadlineSeconds: z
      .number()
      .int()
      .min(1)
      .max(30 * 24 * 3_600)
      .default(21_600),
    /** Timeout of one HTTP call to this server, in milliseconds. @defaultValue 30000 */
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
    /**
     * How far this server's clock may be from Redis's, in milliseconds: reconciliation searches for a job
     * this much beyond a write's time on each side, and measures the offset within it (docs/RELIABILITY.md).
     * @defaultValue 5000
     */
    clockSkewMs: z.number().int().min(0).max(600_000).default(5_000),
  })
  .strict()
  .refine(
    (entry) =>
      [entry.password, entry.passwordFile, entry.passwordEnv].filter((source) => source !== undefined)
        .length === 1,
    { message: 'set exactly one of password, passwordFile, passwordEnv', path: ['password'] },
  )
  .refine((entry) => !(entry.insecureTls && entry.caFile), {
    message: 'caFile and insecureTls exclude each other',
    path: ['insecureTls'],
  });

export type TargetFileEntry = z.output<typeof targetFileEntrySchema>;

export const targetsFileSchema = z
  .object({ targets: z.array(targetFileEntrySchema).min(1, 'list at least one target') })
  .strict()
  .refine((file) => new Set(file.targets.map((target) => target.name)).size === file.targets.length, {
    message: 'target names must be unique',
    path: ['targets'],
  });

/** A target ready to use: its password resolved and wrapped so that it cannot reach a log. */
export interface TargetConfig extends Omit<TargetFileEntry, 'password' | 'passwordFile' | 'passwordEnv'> {
  readonly password: Secret;
}
