import picomatch from 'picomatch';
import { z } from 'zod';
import type { Random } from './random.js';

/**
 * A job's possible outcomes, in the docs dialect's names. ABORTED: an administrator aborts the job halfway
 * through its run (it shows `aborting`, then `aborted`) and it changes nothing. Last, so that adding it
 * moved no earlier scenario's draws.
 */
export const jobOutcomes = ['NORMAL', 'WARNING', 'PARTIAL_FAILURES', 'ERROR', 'ABORTED'] as const;
export type JobOutcome = (typeof jobOutcomes)[number];

const rangeSchema = z.union([
  z.number().int().nonnegative(),
  z
    .strictObject({ min: z.number().int().nonnegative(), max: z.number().int().nonnegative() })
    .refine((r) => r.min <= r.max, { message: 'min must not exceed max' }),
]);
const rateSchema = z.number().min(0).max(1);

export const scenarioRuleSchema = z.strictObject({
  match: z
    .strictObject({
      /** HTTP method, upper case; any method when absent. */
      method: z
        .string()
        .transform((m) => m.toUpperCase())
        .optional(),
      /** picomatch glob on the path without query, `/api/v2/` normalised to `/api/`. */
      path: z.string().min(1).default('**'),
      /** Dotted field path of the JSON body → glob on the stringified value. */
      body: z.record(z.string(), z.string()).optional(),
    })
    .default({ path: '**' }),
  /**
   * The rule applies to the first `times` requests it matches, then to none (the rules after it decide):
   * e.g. a job that fails twice, then succeeds. Counted from when the scenario was set.
   */
  times: z.number().int().positive().optional(),
  job: z
    .strictObject({
      durationMs: rangeSchema.optional(),
      outcomes: z.partialRecord(z.enum(jobOutcomes), z.number().nonnegative()).optional(),
      /** The failing task's `failure_reason` of an ERROR or ABORTED job (and the docs dialect's `message`). */
      message: z.string().optional(),
      /**
       * Reported as the AIQUM job's `state` and `status` for its whole life instead of the dialect's
       * lifecycle, e.g. a state no client knows. The job still runs and ends as planned (ground truth).
       */
      state: z.string().min(1).optional(),
    })
    .optional(),
  faults: z
    .strictObject({
      statuses: z
        .array(
          z.strictObject({
            status: z.number().int().min(400).max(599),
            rate: rateSchema,
            retryAfterSeconds: z.number().int().nonnegative().optional(),
          }),
        )
        .default([]),
      latencyMs: rangeSchema.optional(),
      /** Share of matching requests delayed by `latencyMs`; every one when absent. */
      latencyRate: rateSchema.optional(),
      resetRate: rateSchema.default(0),
      malformedJsonRate: rateSchema.default(0),
      truncatedJsonRate: rateSchema.default(0),
      /** Share of processed writes whose answer leaves the job's `key`/`uuid` out: the job runs untraceable. */
      missingJobReferenceRate: rateSchema.default(0),
      /**
       * Statuses answered to a write AFTER it was processed (its job created), instead of its real answer,
       * each with its share of writes: what a proxy or a crashing server answers to a write that took effect.
       */
      afterProcessing: z
        .array(
          z.strictObject({
            status: z.union([z.literal(500), z.literal(502), z.literal(504)]),
            rate: rateSchema,
          }),
        )
        .refine((list) => list.reduce((sum, s) => sum + s.rate, 0) <= 1, {
          message: 'the rates must add up to at most 1',
        })
        .default([]),
    })
    .optional(),
});

export const scenarioSchema = z.strictObject({ rules: z.array(scenarioRuleSchema).default([]) });

/** A scenario as written in a file or sent to `PUT /_sim/scenario`. */
export type ScenarioInput = z.input<typeof scenarioSchema>;
/** A validated scenario. */
export type Scenario = z.output<typeof scenarioSchema>;
type Rule = z.output<typeof scenarioRuleSchema>;
type Range = z.output<typeof rangeSchema>;
export type JobRule = NonNullable<Rule['job']>;
export type FaultRule = NonNullable<Rule['faults']>;

export type ResponseFault = 'reset' | 'malformedJson' | 'truncatedJson' | 'missingJobReference';
/** A status answered to a write after it was processed. */
export type AfterProcessingStatus = 500 | 502 | 504;
/** What spoiled or replaced the answer of a processed write: a response fault, or a status (`'502'`). */
export type AnswerFault = ResponseFault | `${AfterProcessingStatus}`;

/** What the PRNG decided for one request. */
export interface FaultPlan {
  status?: { status: number; retryAfterSeconds: number | undefined };
  latencyMs: number;
  responseFault?: ResponseFault;
  /** Answered instead of a processed write's answer (writes only; it replaces any response fault). */
  afterProcessing?: AfterProcessingStatus;
}

/** What the PRNG decided for one job. */
export interface JobPlan {
  durationMs: number;
  outcome: JobOutcome;
  message: string | undefined;
  /** The state the job reports instead of its real one. */
  state: string | undefined;
}

export interface MatchedRules {
  job: JobRule | undefined;
  faults: FaultRule | undefined;
}

interface CompiledRule {
  rule: Rule;
  /** Requests it applied to, for `times`. */
  applied: number;
  path: (path: string) => boolean;
  body: Array<{ field: string; matches: (value: string) => boolean }>;
}

/** Reads a dotted path (`svm.name`) out of a parsed JSON value. */
export function readPath(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function stringify(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Compiles a scenario's globs once; `match` then runs on every request. */
export class ScenarioMatcher {
  readonly scenario: Scenario;
  readonly #rules: CompiledRule[];

  constructor(scenario: Scenario) {
    this.scenario = scenario;
    this.#rules = scenario.rules.map((rule) => ({
      rule,
      applied: 0,
      path: picomatch(rule.match.path, { dot: true }),
      body: Object.entries(rule.match.body ?? {}).map(([field, glob]) => ({
        field,
        // bash mode: `*` also crosses `/`, since body values such as LUN names contain slashes.
        matches: picomatch(glob, { dot: true, bash: true }),
      })),
    }));
  }

  /** The first matching rule that has a `job`, and the first that has `faults` (a rule's `times` counted). */
  match(method: string, path: string, body: unknown): MatchedRules {
    let job: JobRule | undefined;
    let faults: FaultRule | undefined;
    for (const compiled of this.#rules) {
      if (job && faults) break;
      const { rule } = compiled;
      if (rule.match.method !== undefined && rule.match.method !== method) continue;
      if (!compiled.path(path)) continue;
      if (
        !compiled.body.every(
          (b) => readPath(body, b.field) !== undefined && b.matches(stringify(readPath(body, b.field))),
        )
      )
        continue;
      if (rule.times !== undefined) {
        if (compiled.applied >= rule.times) continue;
        compiled.applied += 1;
      }
      job ??= rule.job;
      faults ??= rule.faults;
    }
    return { job, faults };
  }
}

function drawRange(range: Range, random: Random): number {
  return typeof range === 'number' ? range : random.int(range.min, range.max);
}

/**
 * Decides a request's faults. Always draws the same count of numbers for a rule, whatever the outcome, so
 * one request's luck never shifts the draws of the requests after it; a rule without `afterProcessing`
 * draws as it did before that list existed, so existing seeds replay unchanged.
 */
export function drawFaults(faults: FaultRule | undefined, random: Random): FaultPlan {
  if (!faults) return { latencyMs: 0 };
  const [statusDraw, latencyDraw, responseDraw] = [random.next(), random.next(), random.next()];
  const latencyValue = faults.latencyMs === undefined ? 0 : drawRange(faults.latencyMs, random);
  const afterDraw = faults.afterProcessing.length > 0 ? random.next() : undefined;
  const plan: FaultPlan = {
    latencyMs: latencyDraw < (faults.latencyRate ?? 1) ? latencyValue : 0,
  };
  const status = pickByRate(
    statusDraw,
    faults.statuses.map((s) => [s, s.rate]),
  );
  if (status) plan.status = { status: status.status, retryAfterSeconds: status.retryAfterSeconds };
  const responseFaults: Array<[ResponseFault, number]> = [
    ['reset', faults.resetRate],
    ['malformedJson', faults.malformedJsonRate],
    ['truncatedJson', faults.truncatedJsonRate],
    ['missingJobReference', faults.missingJobReferenceRate],
  ];
  const responseFault = pickByRate(responseDraw, responseFaults);
  if (responseFault) plan.responseFault = responseFault;
  if (afterDraw !== undefined) {
    const after = pickByRate(
      afterDraw,
      faults.afterProcessing.map((s) => [s.status, s.rate]),
    );
    if (after) plan.afterProcessing = after;
  }
  return plan;
}

/** The first entry whose cumulative rate exceeds `draw` (in [0, 1)); none when the rates add up to less. */
function pickByRate<T>(draw: number, entries: ReadonlyArray<readonly [T, number]>): T | undefined {
  let cumulative = 0;
  for (const [value, rate] of entries) {
    cumulative += rate;
    if (draw < cumulative) return value;
  }
  return undefined;
}

const defaultDuration: Range = { min: 200, max: 800 };

/** Decides a job's duration and outcome. Two draws per job, always. */
export function drawJobPlan(job: JobRule | undefined, random: Random): JobPlan {
  const outcomeDraw = random.next();
  const durationMs = drawRange(job?.durationMs ?? defaultDuration, random);
  const weights = job?.outcomes ?? { NORMAL: 1 };
  const total = jobOutcomes.reduce((sum, o) => sum + (weights[o] ?? 0), 0);
  const outcome =
    pickByRate(
      outcomeDraw,
      jobOutcomes.map((o) => [o, (weights[o] ?? 0) / (total || 1)]),
    ) ?? 'NORMAL';
  return { durationMs, outcome, message: job?.message, state: job?.state };
}
