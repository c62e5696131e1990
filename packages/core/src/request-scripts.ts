import { requestErrorSchema } from '@aiqum-jobs/contracts';
import { z } from 'zod';
import { jsonText } from './json-text.js';
import { luaLibraries } from './lua-libraries.js';
import { LuaScript, readLuaFile } from './lua-script.js';
import {
  claimedRecordReplySchema,
  submissionStateSchema,
  waitingAttemptReplySchema,
} from './request-record-codec.js';

/**
 * The request state machine's atomic steps. Each is one Lua script (src/lua): it checks the status it
 * expects and does nothing otherwise, so two workers (or a worker and a cancelling producer) can race without
 * harm. Every script answers the request's status after the call, or `missing` when the record is gone.
 */

/** A span of Redis time, ms. */
const timeSpanSchema = z.object({ from: z.number(), to: z.number() });

const lua = (file: string) => readLuaFile(new URL(`./lua/${file}`, import.meta.url));
const { redisTime, limiter, dueSet, json, hash, attempts } = luaLibraries;

export const createRequestsScript = new LuaScript({
  body: lua('create-requests.lua'),
  keys: [],
  optionalKeys: ['batch', 'batchRequests'],
  args: ['batchFields', 'batchTtlSeconds', 'requests', 'requestKeyPrefix'],
  reply: z.number().int(),
});

export const submissionVerdicts = [
  'missing',
  'waiting',
  'completed',
  'tracking',
  'busy',
  'interrupted',
  'limited',
  'claimed',
] as const;

export const beginSubmissionScript = new LuaScript({
  body: lua('begin-submission.lua'),
  libraries: [redisTime, limiter, hash],
  keys: ['request', 'inFlight', 'recent', 'doubt'],
  args: [
    'token',
    'claimLeaseMs',
    'allowResubmit',
    'submitLeaseMs',
    'maxConcurrent',
    'callsPerWindow',
    'windowMs',
    'leaseId',
    'requestId',
    'isWrite',
    'writeObject',
    'doubtKeepMs',
  ],
  reply: jsonText(
    z.object({
      verdict: z.enum(submissionVerdicts),
      submitAttempts: z.number(),
      ms: z.number(),
      now: z.number(),
      state: submissionStateSchema,
      reconciling: timeSpanSchema.extend({ error: jsonText(requestErrorSchema).optional() }).optional(),
    }),
  ),
});

export const requeueSubmissionScript = new LuaScript({
  body: lua('requeue-submission.lua'),
  libraries: [redisTime, limiter, hash],
  keys: ['request', 'doubt'],
  optionalKeys: ['inFlight'],
  args: ['token', 'leaseId', 'doubt', 'requestId'],
  reply: z.string(),
});

export const beginReconciliationScript = new LuaScript({
  body: lua('begin-reconciliation.lua'),
  libraries: [redisTime, limiter, hash],
  keys: ['request', 'doubt'],
  optionalKeys: ['inFlight'],
  args: ['token', 'leaseId', 'requestId', 'doubtError', 'answered'],
  reply: jsonText(
    z.object({ status: z.string(), from: z.number().optional(), to: z.number().optional(), now: z.number() }),
  ),
});

export const findWritesInDoubtScript = new LuaScript({
  body: lua('find-writes-in-doubt.lua'),
  libraries: [hash],
  keys: ['doubt'],
  args: ['requestKeyPrefix', 'self', 'from', 'to'],
  // cjson encodes an empty table as an object: the script answers '[]' itself for none.
  reply: jsonText(
    z.array(z.object({ requestId: z.string(), from: z.number(), to: z.number(), object: z.string() })),
  ),
});

export const acceptJobScript = new LuaScript({
  body: lua('accept-job.lua'),
  libraries: [redisTime, limiter, dueSet, json, hash],
  keys: ['request', 'events', 'due'],
  optionalKeys: ['inFlight', 'batch', 'owner'],
  args: [
    'job',
    'event',
    'token',
    'leaseId',
    'firstPollDelayMs',
    'deadlineAt',
    'requestId',
    'resolved',
    'dueChannel',
    'target',
    'hasBatch',
    'hasOwner',
    'retentionSeconds',
    'reconciled',
  ],
  reply: z.string(),
});

export const recordPollScript = new LuaScript({
  body: lua('record-poll.lua'),
  libraries: [redisTime, limiter, dueSet],
  keys: ['request', 'inFlight', 'due'],
  args: ['jobState', 'dialect', 'leaseId', 'delayMs', 'deadlineAt', 'requestId', 'dueChannel', 'target'],
  reply: jsonText(z.object({ status: z.string(), polls: z.number().int() })),
});

export const recordPollMissScript = new LuaScript({
  body: lua('record-poll-miss.lua'),
  libraries: [redisTime, limiter, dueSet],
  keys: ['request', 'inFlight', 'due'],
  args: ['counter', 'leaseId', 'delayMs', 'deadlineAt', 'requestId', 'dueChannel', 'target'],
  reply: jsonText(z.object({ status: z.string(), count: z.number().int() })),
});

export const claimPollsScript = new LuaScript({
  body: lua('claim-polls.lua'),
  libraries: [redisTime, limiter, hash],
  keys: ['due', 'inFlight', 'recent'],
  args: [
    'maxClaims',
    'claimMs',
    'leaseMs',
    'maxConcurrent',
    'callsPerWindow',
    'windowMs',
    'leaseIdPrefix',
    'requestKeyPrefix',
  ],
  reply: jsonText(
    z.object({
      now: z.number(),
      ms: z.number(),
      claims: z
        .array(
          z
            .object({ requestId: z.string(), leaseId: z.string(), record: z.unknown() })
            .transform(({ record, ...claim }) => ({
              ...claim,
              record: claimedRecordReplySchema.parse(record),
              nextAttempt: waitingAttemptReplySchema.parse(record),
            })),
        )
        .default([]),
    }),
  ),
});

export const completeResults = ['completed', 'already-completed', 'missing'] as const;

export const completeRequestScript = new LuaScript({
  body: lua('complete-request.lua'),
  libraries: [redisTime, limiter, json, hash, attempts],
  keys: ['request', 'events', 'due'],
  optionalKeys: ['inFlight', 'batch', 'batchRequests', 'dependants', 'released'],
  args: [
    'outcome',
    'fields',
    'event',
    'retentionSeconds',
    'leaseId',
    'countPoll',
    'requestId',
    'batchEvent',
    'outcomes',
    'requestKeyPrefix',
    'attempt',
    'createdAt',
  ],
  reply: z
    .tuple([z.enum(completeResults)], z.string())
    .transform(([result, ...released]) => ({ result, released })),
});

export const nextAttemptScript = new LuaScript({
  body: lua('next-attempt.lua'),
  libraries: [redisTime, limiter, dueSet, json, hash, attempts],
  keys: ['request', 'due'],
  optionalKeys: ['inFlight', 'batch'],
  args: [
    'attemptNumber',
    'attempt',
    'createdAt',
    'maxAttempts',
    'delayMs',
    'deadlineAt',
    'leaseId',
    'countPoll',
    'requestId',
    'dueChannel',
    'target',
    'hasBatch',
  ],
  reply: z.enum(['waiting', 'last', 'stale', 'completed', 'missing']),
});

export const attemptQueuedScript = new LuaScript({
  body: lua('attempt-queued.lua'),
  libraries: [limiter, hash],
  keys: ['request', 'inFlight', 'due'],
  args: ['attemptNumber', 'leaseId', 'requestId'],
  reply: z.string(),
});

export const pollNowScript = new LuaScript({
  body: lua('poll-now.lua'),
  libraries: [redisTime],
  keys: ['due'],
  args: ['requestId', 'dueChannel', 'target'],
  reply: z.number().int(),
});
