import diagnosticsChannel from 'node:diagnostics_channel';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { z } from 'zod';
import {
  aggregateSchema,
  collectionSchema,
  errorResponseSchema,
  gatewaysResponseSchema,
  jobLinkResponseSchema,
  jobSchema,
  recordSchemas,
} from './spec-schemas.js';

/** One simulator answer that does not match the specification. */
export interface ContractViolation {
  method: string;
  path: string;
  status: number;
  problem: string;
}

/** How a watched simulator spells its jobs: `docs` is off SPEC on purpose (the docs page's vocabulary). */
export type WatchedJobDialect = 'spec' | 'docs';

// Not SPEC: the documentation page's job (state is the outcome, status repeats it), which the client accepts
// and a simulator serves only when a test asks for that dialect. Checked all the same, against its own rules.
const docsJobSchema = jobSchema.extend({
  state: z.enum(['RUNNING', 'NORMAL', 'WARNING', 'PARTIAL_FAILURES', 'ERROR', 'ABORTED']),
  status: z.string().optional(),
});

type Resolution = { schema: z.ZodType } | { skip: string } | { problem: string };

const dataPlacement = /^storage-provider\/data-placement(?:\/balance)?$/;

/** The SPEC schema an answer of `method path` with `status` must match. */
function resolveSchema(
  method: string,
  pathOnly: string,
  status: number,
  dialect: WatchedJobDialect,
): Resolution {
  if (pathOnly.startsWith('/_sim/')) return { skip: "the simulator's own admin API" };
  const route = /^\/api\/(?:v\d+\/)?(.+?)\/?$/.exec(pathOnly)?.[1];
  if (route === undefined) return { problem: 'not a path under /api/' };
  if (route === 'gateways' && method === 'GET' && status === 200) return { schema: gatewaysResponseSchema };
  // Passed through to ONTAP unchanged: ONTAP's contract, not Unified Manager's.
  if (route.startsWith('gateways/')) return { skip: 'ONTAP gateway pass-through' };
  if (status >= 400) return { schema: errorResponseSchema };
  if (status === 202) return { schema: dataPlacement.test(route) ? aggregateSchema : jobLinkResponseSchema };
  if (status === 204) return { problem: 'SPEC answers no route with 204 (synchronous DELETEs answer 200)' };
  const collection = Object.keys(recordSchemas).find(
    (candidate) =>
      route === candidate ||
      (route.startsWith(`${candidate}/`) && !route.slice(candidate.length + 1).includes('/')),
  );
  const record = collection === undefined ? undefined : recordSchemas[collection];
  if (collection === undefined || record === undefined) return { problem: 'no SPEC schema for this route' };
  const recordSchema = collection === 'management-server/jobs' && dialect === 'docs' ? docsJobSchema : record;
  if (route === collection && method === 'GET') return { schema: collectionSchema(recordSchema) };
  return { schema: recordSchema };
}

// SPEC gives these answers no body (or a body of no documented shape).
function mayHaveNoJsonBody(method: string, status: number): boolean {
  return status === 401 || status === 403 || status === 405 || (status === 200 && method === 'DELETE');
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, 4).map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
  return issues.length > shown.length
    ? `${shown.join('; ')}; +${issues.length - shown.length} more`
    : shown.join('; ');
}

/** Checks one complete answer; undefined when it matches. */
export function checkAnswer(
  answer: { method: string; path: string; status: number; body: string },
  dialect: WatchedJobDialect = 'spec',
): string | undefined {
  const pathOnly = answer.path.split('?')[0] ?? answer.path;
  const resolution = resolveSchema(answer.method, pathOnly, answer.status, dialect);
  if ('skip' in resolution) return undefined;
  if ('problem' in resolution) return resolution.problem;
  if (answer.body.trim() === '') {
    return mayHaveNoJsonBody(answer.method, answer.status) ? undefined : 'empty body';
  }
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    return mayHaveNoJsonBody(answer.method, answer.status) ? undefined : 'body is not JSON';
  }
  const parsed = resolution.schema.safeParse(body);
  return parsed.success ? undefined : describeIssues(parsed.error.issues);
}

interface InFlight {
  method: string;
  path: string;
  status: number;
  chunks: Buffer[];
  dialect: WatchedJobDialect;
}

interface Tolerance {
  method: string;
  path: string;
  reason: string;
  used: number;
}

// What undici publishes on its documented diagnostics channels (lib/core/diagnostics.js).
interface UndiciRequest {
  origin?: unknown;
  method?: unknown;
  path?: unknown;
}
interface HeadersMessage {
  request: UndiciRequest;
  response: { statusCode: number };
}
interface ChunkMessage {
  request: UndiciRequest;
  chunk: Buffer;
}
interface RequestMessage {
  request: UndiciRequest;
}

function originOf(value: unknown): string | undefined {
  try {
    return new URL(String(value)).origin;
  } catch {
    return undefined;
  }
}

/**
 * Sees every HTTP answer a watched simulator gives to any undici client in this process (the client's own
 * agent, whatever its TLS options, included), through undici's diagnostics channels, and records each one
 * that does not match the specification.
 */
class SpecContractCheck {
  readonly #watched = new Map<string, WatchedJobDialect>();
  readonly #inFlight = new WeakMap<object, InFlight>();
  #violations: ContractViolation[] = [];
  #tolerances: Tolerance[] = [];

  readonly #onHeaders = (message: unknown): void => {
    const { request, response } = message as HeadersMessage;
    const dialect = this.#watched.get(originOf(request.origin) ?? '');
    if (dialect === undefined) return;
    this.#inFlight.set(request, {
      method: String(request.method),
      path: String(request.path),
      status: response.statusCode,
      chunks: [],
      dialect,
    });
  };

  readonly #onChunk = (message: unknown): void => {
    const { request, chunk } = message as ChunkMessage;
    this.#inFlight.get(request)?.chunks.push(chunk);
  };

  readonly #onEnd = (message: unknown): void => {
    const { request } = message as RequestMessage;
    const answer = this.#inFlight.get(request);
    if (answer === undefined) return;
    this.#inFlight.delete(request);
    const problem = checkAnswer(
      { ...answer, body: Buffer.concat(answer.chunks).toString('utf8') },
      answer.dialect,
    );
    if (problem === undefined) return;
    const pathOnly = answer.path.split('?')[0];
    const tolerance = this.#tolerances.find((t) => t.method === answer.method && t.path === pathOnly);
    if (tolerance) {
      tolerance.used += 1;
      return;
    }
    this.#violations.push({ method: answer.method, path: answer.path, status: answer.status, problem });
  };

  // An answer cut off mid-body (a reset, a truncated reply) is no answer: nothing to check.
  readonly #onError = (message: unknown): void => {
    this.#inFlight.delete((message as RequestMessage).request);
  };

  subscribe(): void {
    diagnosticsChannel.subscribe('undici:request:headers', this.#onHeaders);
    diagnosticsChannel.subscribe('undici:request:bodyChunkReceived', this.#onChunk);
    diagnosticsChannel.subscribe('undici:request:trailers', this.#onEnd);
    diagnosticsChannel.subscribe('undici:request:error', this.#onError);
  }

  unsubscribe(): void {
    diagnosticsChannel.unsubscribe('undici:request:headers', this.#onHeaders);
    diagnosticsChannel.unsubscribe('undici:request:bodyChunkReceived', this.#onChunk);
    diagnosticsChannel.unsubscribe('undici:request:trailers', this.#onEnd);
    diagnosticsChannel.unsubscribe('undici:request:error', this.#onError);
  }

  watch(url: string, dialect: WatchedJobDialect): void {
    const origin = originOf(url);
    if (origin !== undefined) this.#watched.set(origin, dialect);
  }

  tolerate(method: string, path: string, reason: string): void {
    this.#tolerances.push({ method, path, reason, used: 0 });
  }

  /** Fails on any violation, and on a tolerance no answer needed; then starts afresh. */
  assertClean(): void {
    const violations = this.#violations;
    const unused = this.#tolerances
      .filter((t) => t.used === 0)
      .map((t) => `${t.method} ${t.path}: ${t.reason}`);
    this.#violations = [];
    this.#tolerances = [];
    expect(violations, 'simulator answers that do not match the AIQUM API specification').toEqual([]);
    expect(unused, 'expected off-SPEC answers that never came').toEqual([]);
  }
}

const check = new SpecContractCheck();

/**
 * Turns the check on for the test file that imports this module: subscribed for the file, every test fails
 * when a watched simulator answered anything off SPEC during it (or during the hooks before it).
 */
export function checkSpecContractInThisFile(): void {
  beforeAll(() => check.subscribe());
  afterEach(() => check.assertClean());
  afterAll(() => {
    check.unsubscribe();
    check.assertClean();
  });
}

/** Checks every answer of the simulator at `url`. */
export function watchSimulator(url: string, dialect: WatchedJobDialect): void {
  check.watch(url, dialect);
}

/**
 * Lets the current test receive off-SPEC answers from `method path` (no query), e.g. a fault it injects on
 * purpose; at least one must come, or the test fails.
 */
export function expectOffSpecAnswer(method: string, path: string, reason: string): void {
  check.tolerate(method, path, reason);
}
