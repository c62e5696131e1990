import { z } from 'zod';
import { apiPathProblem } from './api-path.js';
import { batchOrderIssues } from './batch-dependencies.js';
import { findJobResultReferences, requestRefSchema, withJobResults } from './job-result-references.js';
import { jsonValueSchema } from './json-value.js';
import { findNameReferences } from './name-references.js';
import { type RetryPolicy, retryPolicyIssues, retryPolicySchema } from './retry-policy.js';
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

/** The fields of one AIQUM API call as a producer asks for it. */
const requestFields = {
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
};

/** Most requests one request may depend on. */
export const maxDependencies = 100;

/** The fields that order the requests of a batch. */
const orderFields = {
  /** The request's name within its batch, for `dependsOn` and `$jobResult` (unique in the batch). */
  ref: requestRefSchema.optional(),
  /** Refs of requests of the same batch that must succeed before this one starts. */
  dependsOn: z
    .array(requestRefSchema)
    .min(1)
    .max(maxDependencies)
    .refine((refs) => new Set(refs).size === refs.length, 'dependsOn names each ref once')
    .optional(),
  /** A dependency that ended `warning` counts as succeeded for this request. @defaultValue false */
  proceedOnWarning: z.boolean().optional(),
};

const orderFieldNames = Object.keys(orderFields);

/** The checks of one request across its fields: a GET's body, its name and job result references, its order. */
function checkRequest(
  request: {
    method: RequestMethod;
    path: string;
    body?: unknown;
    object?: unknown;
    ref?: string | undefined;
    dependsOn?: readonly string[] | undefined;
    retry?: RetryPolicy | undefined;
  },
  context: z.RefinementCtx,
): void {
  if (request.method === 'GET' && request.body !== undefined) {
    context.addIssue({ code: 'custom', message: 'a GET request has no body', path: ['body'] });
  }
  if (request.retry !== undefined) {
    for (const issue of retryPolicyIssues(request.method, request.retry)) {
      context.addIssue({ code: 'custom', ...issue });
    }
  }
  const { references, issues } = findJobResultReferences(request);
  for (const issue of issues) context.addIssue({ code: 'custom', ...issue });
  // Names are checked with job results standing in as keys: their values exist only when the request starts.
  for (const issue of findNameReferences(withJobResults(request)).issues) {
    context.addIssue({ code: 'custom', ...issue });
  }
  const dependsOn = new Set(request.dependsOn ?? []);
  for (const reference of references.filter(({ ref }) => !dependsOn.has(ref))) {
    context.addIssue({
      code: 'custom',
      path: reference.field.split('.'),
      message: `a job result reference names "${reference.ref}", which is not in this request's dependsOn`,
    });
  }
  if (request.ref !== undefined && dependsOn.has(request.ref)) {
    context.addIssue({ code: 'custom', path: ['dependsOn'], message: 'a request cannot depend on itself' });
  }
}

/** One AIQUM API call as a producer asks for it. */
export const requestInputSchema = z
  .strictObject(requestFields, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' && issue.keys.some((key) => orderFieldNames.includes(key))
        ? `${orderFieldNames.join(', ')} order the requests of a batch: submit them in a batch (unrecognized: ${issue.keys.join(', ')})`
        : undefined,
  })
  .superRefine(checkRequest);

/** One request of a batch: a request, with its place in the batch's order. */
export const batchRequestInputSchema = z
  .strictObject({ ...requestFields, ...orderFields })
  .superRefine(checkRequest);

export type RequestInput = z.input<typeof requestInputSchema>;
export type ParsedRequestInput = z.output<typeof requestInputSchema>;
export type BatchRequestInput = z.input<typeof batchRequestInputSchema>;
export type ParsedBatchRequestInput = z.output<typeof batchRequestInputSchema>;

/** Most requests one batch may hold. */
export const maxBatchSize = 10_000;

export const batchInputSchema = z
  .object({
    requests: z
      .array(batchRequestInputSchema)
      .min(1, 'a batch holds at least one request')
      .max(maxBatchSize, `a batch holds at most ${maxBatchSize} requests`),
    /** Small caller data echoed in `batch.completed`. */
    metadata: metadataSchema.optional(),
  })
  .strict()
  .superRefine((batch, context) => {
    for (const issue of batchOrderIssues(batch.requests)) context.addIssue({ code: 'custom', ...issue });
  });

export type BatchInput = z.input<typeof batchInputSchema>;
export type ParsedBatchInput = z.output<typeof batchInputSchema>;
