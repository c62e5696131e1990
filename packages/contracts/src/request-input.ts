import { z } from 'zod';
import { apiPathProblem } from './api-path.js';
import { jsonValueSchema } from './json-value.js';
import { findNameReferences } from './name-references.js';
import { retryPolicyIssues, retryPolicySchema } from './retry-policy.js';
import { targetNameSchema } from './target-name.js';

/** Largest JSON body one request may carry to AIQUM, serialised. */
export const maxRequestBodyBytes = 256 * 1024;
/** Largest `metadata`, serialised: it is echoed in every event of the request. */
export const maxMetadataBytes = 2 * 1024;
/** Longest deadline a request may ask for: 30 days. */
export const maxDeadlineSeconds = 30 * 24 * 3_600;

/**
 * Deepest nesting of arrays and objects in one submission, counting the batch and request levels. AIQUM
 * bodies are a few levels deep; JSON nested thousands deep overflows the stack of the recursive schemas
 * below (a crash, not a validation error), so callers check {@link nestsWithin} before parsing.
 */
export const maxInputDepth = 64;

/** Whether `value` nests arrays and objects at most `maxDepth` levels deep. Iterative: safe at any depth. */
export function nestsWithin(value: unknown, maxDepth: number): boolean {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue;
    if (next.depth >= maxDepth) return false;
    for (const child of Object.values(next.value)) pending.push({ value: child, depth: next.depth + 1 });
  }
  return true;
}

export const requestMethods = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'] as const;
export const requestMethodSchema = z.enum(requestMethods);
export type RequestMethod = z.output<typeof requestMethodSchema>;

const apiPathSchema = z
  .string()
  .min(1)
  .superRefine((path, context) => {
    const problem = apiPathProblem(path);
    if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
  });

const metadataSchema = z
  .record(
    z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'metadata keys are 1-64 letters, digits, "_", "." or "-"'),
    z.union([z.string().max(512), z.number(), z.boolean(), z.null()]),
  )
  .refine((metadata) => Object.keys(metadata).length <= 32, 'metadata has at most 32 keys')
  .refine(
    (metadata) => Buffer.byteLength(JSON.stringify(metadata)) <= maxMetadataBytes,
    `metadata is at most ${maxMetadataBytes} bytes of JSON`,
  );

/** Poll-policy fields a request may override, each within the bounds of the target's policy schema. */
const pollOverridesSchema = z
  .object({
    initialDelayMs: z.number().int().min(50).max(600_000).optional(),
    multiplier: z.number().min(1).max(10).optional(),
    maxDelayMs: z.number().int().min(50).max(3_600_000).optional(),
    jitter: z.number().min(0).max(1).optional(),
  })
  .strict();
export type PollOverrides = z.output<typeof pollOverridesSchema>;

/** One AIQUM API call as a producer asks for it. */
export const requestInputSchema = z
  .object({
    /** A configured target name; may be left out when exactly one target is configured. */
    target: targetNameSchema.optional(),
    method: requestMethodSchema,
    /** Relative path under `/api/`, query allowed; never a scheme, host, `..` or control character. */
    path: apiPathSchema,
    /**
     * JSON body sent to AIQUM. Where Unified Manager takes a key, an object may be named instead
     * (`"svm": {"name": "vs1", "cluster": {"name": "cluster-01"}}`): the worker looks it up and sends its key.
     */
    body: jsonValueSchema
      .optional()
      .refine(
        (body) => body === undefined || Buffer.byteLength(JSON.stringify(body)) <= maxRequestBodyBytes,
        `body is at most ${maxRequestBodyBytes} bytes of JSON`,
      ),
    /**
     * The object a path ending in `/{key}` names, by name and qualifiers (`{"name": "/vol/vol1/lun1", "svm":
     * {"name": "vs1"}}`): the worker looks its key up and puts it in the path.
     */
    object: jsonValueSchema.optional(),
    /** Seconds from acceptance after which the request ends as `timed_out`. */
    deadlineSeconds: z.number().int().min(1).max(maxDeadlineSeconds).optional(),
    poll: pollOverridesSchema.optional(),
    /**
     * Resubmit a write whose first submission may or may not have reached AIQUM. Only for calls that are
     * safe to repeat. @defaultValue false
     */
    retryAmbiguous: z.boolean().default(false),
    /** Small caller data echoed in every event of this request. */
    metadata: metadataSchema.optional(),
    /**
     * Submit the request again, automatically, when an attempt ends with one of `retry.outcomes` (a transient
     * failure: never the caller's own error), up to `retry.maxAttempts` attempts within the deadline.
     */
    retry: retryPolicySchema.optional(),
  })
  .strict()
  .refine((request) => request.method !== 'GET' || request.body === undefined, {
    message: 'a GET request has no body',
    path: ['body'],
  })
  .superRefine((request, context) => {
    for (const issue of findNameReferences(request).issues) context.addIssue({ code: 'custom', ...issue });
    if (request.retry === undefined) return;
    for (const issue of retryPolicyIssues(request.method, request.retry)) {
      context.addIssue({ code: 'custom', ...issue });
    }
  });

export type RequestInput = z.input<typeof requestInputSchema>;
export type ParsedRequestInput = z.output<typeof requestInputSchema>;

/** Most requests one batch may hold. */
export const maxBatchSize = 10_000;

export const batchInputSchema = z
  .object({
    requests: z
      .array(requestInputSchema)
      .min(1, 'a batch holds at least one request')
      .max(maxBatchSize, `a batch holds at most ${maxBatchSize} requests`),
    /** Small caller data echoed in `batch.completed`. */
    metadata: metadataSchema.optional(),
  })
  .strict();

export type BatchInput = z.input<typeof batchInputSchema>;
export type ParsedBatchInput = z.output<typeof batchInputSchema>;
