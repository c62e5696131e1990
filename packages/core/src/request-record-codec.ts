import {
  jobDialectSchema,
  jobRefSchema,
  jobResultSchema,
  jobStateSchema,
  jsonValueSchema,
  type RequestSpec,
  requestAttemptSchema,
  requestErrorSchema,
  requestOutcomeSchema,
  requestSpecSchema,
  requestStatusSchema,
  resolvedReferenceSchema,
  type StoredRequest,
} from '@aiqum-jobs/contracts';
import { z } from 'zod';
import { jsonText } from './json-text.js';

const optionalInt = z.coerce.number().int().optional();
const counter = z.coerce.number().int().default(0);

/** The request hash as Redis holds it: every value a string, JSON where structured. */
const requestHashSchema = z.object({
  spec: jsonText(requestSpecSchema),
  status: requestStatusSchema,
  outcome: requestOutcomeSchema.optional(),
  job: jsonText(jobRefSchema).optional(),
  dialect: jobDialectSchema.optional(),
  jobState: jsonText(jobStateSchema).optional(),
  jobResults: jsonText(z.array(jobResultSchema)).optional(),
  error: jsonText(requestErrorSchema).optional(),
  response: jsonText(z.json()).optional(),
  resolved: jsonText(z.array(resolvedReferenceSchema)).optional(),
  submittedAt: optionalInt,
  finishedAt: optionalInt,
  reconciled: z
    .literal('1')
    .transform((): true => true)
    .optional(),
  polls: counter,
  pollErrors: counter,
  submitAttempts: counter,
  attempt: optionalInt,
  attemptStartsAt: optionalInt,
  attempts: jsonText(z.array(requestAttemptSchema)).optional(),
});

/**
 * Every way a field comes back unset, read as absent: left out (HGETALL, the scripts' `hash_fields`), null
 * (HMGET), false (a Lua nil through cjson), or the empty string a script writes for "none" (record-poll's
 * dialect). Everything past the codec sees only undefined.
 */
function withoutUnsetFields(fields: unknown): unknown {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return fields;
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== null && value !== false && value !== ''),
  );
}

/** `schema` over a hash's fields, with every spelling of an unset field read as absent. */
const hashFields = <T extends z.ZodType>(schema: T) => z.preprocess(withoutUnsetFields, schema);

const recordSchema = hashFields(requestHashSchema);

/** What the worker needs of a record at each submission and poll: its state, not its spec (the queue job carries that). */
const requestStateSchema = hashFields(
  requestHashSchema.pick({
    status: true,
    job: true,
    dialect: true,
    jobState: true,
    submittedAt: true,
    attempt: true,
  }),
);
export type RequestState = z.output<typeof requestStateSchema>;

/** The fields `decodeRequestState` reads, in the order it expects them (an HMGET's). */
export const requestStateFields = ['status', 'job', 'dialect', 'jobState', 'submittedAt', 'attempt'] as const;

/** The state begin-submission answers with: the state's fields that are set, without the status. */
export const submissionStateSchema = hashFields(
  requestHashSchema.pick({ job: true, dialect: true, jobState: true, submittedAt: true }),
);

/** What a claimed poll needs of the record: a tracked request, so its job is known. */
const claimedRecordSchema = hashFields(
  requestHashSchema
    .pick({
      status: true,
      spec: true,
      dialect: true,
      jobState: true,
      submittedAt: true,
      resolved: true,
      polls: true,
      pollErrors: true,
      attempt: true,
    })
    .extend({ job: jsonText(jobRefSchema) }),
);
export type ClaimedRecord = z.output<typeof claimedRecordSchema>;

/** The record inside a claim reply; undefined when it is gone or unreadable (the poller's to handle, not a failed claim). */
export const claimedRecordReplySchema = z
  .unknown()
  .transform((record): ClaimedRecord | undefined => claimedRecordSchema.safeParse(record).data);

/**
 * A claimed entry of a request waiting for its next attempt (its retry policy's backoff is over): queued,
 * with no job, from the second attempt on.
 */
const waitingRecordSchema = hashFields(
  z.object({ status: z.literal('queued'), attempt: z.coerce.number().int().min(2) }),
);

/** The attempt whose queue job a claimed record waited for; undefined for any other record. */
export const waitingAttemptReplySchema = z
  .unknown()
  .transform((record): number | undefined => waitingRecordSchema.safeParse(record).data?.attempt);

/** A request record read with HGETALL: undefined when it is gone; a hash that is not a record throws. */
export function decodeRequestRecord(hash: Readonly<Record<string, string>>): StoredRequest | undefined {
  if (Object.keys(hash).length === 0) return undefined;
  const {
    spec: { body: _body, ...spec },
    jobResults,
    pollErrors: _pollErrors,
    ...fields
  } = recordSchema.parse(hash);
  return { ...spec, ...fields, jobResults: jobResults ?? [] };
}

/** A request's state read with HMGET of `requestStateFields`: undefined when the record is gone. */
export function decodeRequestState(values: readonly (string | null)[]): RequestState | undefined {
  if (values[0] === null || values[0] === undefined) return undefined;
  return requestStateSchema.parse(
    Object.fromEntries(requestStateFields.map((field, index) => [field, values[index] ?? null])),
  );
}

/** A body as kept apart for retries (`<prefix>:request:<id>:body`): JSON text, '' for none. */
const keptBodySchema = jsonText(jsonValueSchema);

/** A request's spec as its record's `spec` field holds it, with its body, kept apart, put back. */
export function decodeSpecWithBody(specText: string, bodyText: string): RequestSpec {
  const spec = requestHashSchema.shape.spec.parse(specText);
  if (bodyText !== '') spec.body = keptBodySchema.parse(bodyText);
  return spec;
}
