import { Agent, request as httpsRequest } from 'node:https';
import type { Simulator } from '@aiqum-jobs/aiqum-simulator';
import { outcomeOfJobOutcome, type RequestCompletedEvent, requestErrorCodes } from '@aiqum-jobs/contracts';
import { z } from 'zod';

const jobTruthSchema = z.object({
  kind: z.enum(['aiqum', 'ontap']),
  id: z.string(),
  settled: z.boolean(),
  outcome: z.enum(['NORMAL', 'WARNING', 'PARTIAL_FAILURES', 'ERROR', 'ABORTED']).nullable(),
  results: z.array(z.object({ name: z.string(), value: z.string() })),
  responseFault: z.string().nullable(),
  purged: z.boolean(),
  endSeen: z.boolean(),
});

const writeFaultSchema = z.object({
  fault: z.string(),
  processed: z.boolean(),
  status: z.number().nullable(),
});

/** `GET /_sim/jobs?correlation_id=`: what the simulator did with one request, and what it told its client. */
export const requestTruthSchema = z.object({
  records: z.array(jobTruthSchema),
  writeFaults: z.array(writeFaultSchema),
});

export type JobTruth = z.output<typeof jobTruthSchema>;
export type RequestTruth = z.output<typeof requestTruthSchema> & {
  /** Writes with this correlation id that reached processing (from the simulator's stats). */
  submissions: number;
};

/** GETs JSON from the simulator as its application administrator, over HTTPS with its CA. */
export class SimulatorReader {
  readonly #simulator: Simulator;
  readonly #authorization: string;
  readonly #agent: Agent;

  constructor(simulator: Simulator) {
    const admin = simulator.users.find((user) => user.role === 'application_admin');
    if (!admin) throw new Error('the simulator has no application administrator');
    this.#simulator = simulator;
    this.#authorization = `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString('base64')}`;
    this.#agent = new Agent({
      keepAlive: true,
      maxSockets: 8,
      ...(simulator.caPem ? { ca: simulator.caPem } : {}),
    });
  }

  get(path: string): Promise<unknown> {
    const url = new URL(path, this.#simulator.url);
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        url,
        { agent: this.#agent, headers: { authorization: this.#authorization } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode === 200) resolve(JSON.parse(text));
            else reject(new Error(`GET ${url.pathname} answered ${res.statusCode}: ${text}`));
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  /** The ground truth of many requests (`GET /_sim/jobs?correlation_id=`), a few at a time. */
  async groundTruth(requestIds: readonly string[]): Promise<Map<string, RequestTruth>> {
    const submissions = this.#simulator.stats().submissions;
    const truths = new Map<string, RequestTruth>();
    const pending = [...requestIds];
    const next = async (): Promise<void> => {
      for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
        const body = await this.get(`/_sim/jobs?correlation_id=${encodeURIComponent(id)}`);
        truths.set(id, { ...requestTruthSchema.parse(body), submissions: submissions[id] ?? 0 });
      }
    };
    await Promise.all(Array.from({ length: 8 }, next));
    return truths;
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** What the judge needs of a request's one `request.completed` event. */
export type Completed = Pick<RequestCompletedEvent, 'outcome' | 'error' | 'jobResults'>;

/** One row of the verdict table: when it applies, and whether the outcome is right in that case. */
interface Verdict {
  category: string;
  applies: (truth: RequestTruth) => boolean;
  /** Undefined when the outcome is right; else why it is wrong. */
  check: (completed: Completed, truth: RequestTruth) => string | undefined;
}

// A reset or a truncated answer leaves the client with no status at all; a malformed 2xx body hides the job.
const spoilingFaults = new Set(['reset', 'truncatedJson']);
// Statuses after which a client cannot know whether a write was processed.
const unknowableStatuses = new Set([500, 502, 504]);

const onlyJob = (truth: RequestTruth): JobTruth | undefined =>
  truth.records.length === 1 ? truth.records[0] : undefined;
const lastWriteFault = (truth: RequestTruth) => truth.writeFaults.at(-1);

function expectUnknown(completed: Completed, code: string): string | undefined {
  if (completed.outcome !== 'unknown') return `expected unknown (${code}), got ${completed.outcome}`;
  if (completed.error?.code !== code) return `expected error ${code}, got ${completed.error?.code ?? 'none'}`;
  return undefined;
}

/** The request ended with its one job's own outcome and results. */
function checkJobOutcome(completed: Completed, truth: RequestTruth): string | undefined {
  const job = onlyJob(truth);
  if (!job?.settled || job.outcome === null) return 'the job has not ended in the simulator';
  const expected = outcomeOfJobOutcome[job.outcome];
  if (completed.outcome !== expected) return `job ended ${job.outcome}, request ended ${completed.outcome}`;
  // ONTAP job records carry no results; AIQUM's name the object made (lunKey).
  if (job.kind === 'aiqum' && JSON.stringify(completed.jobResults ?? []) !== JSON.stringify(job.results)) {
    return `job results ${JSON.stringify(job.results)}, request has ${JSON.stringify(completed.jobResults)}`;
  }
  return undefined;
}

/** AIQUM rejected the write (a 4xx answer), and so did the request. */
function checkRejected(completed: Completed): string | undefined {
  const status = completed.error?.httpStatus ?? 0;
  return completed.outcome === 'failed' && status >= 400 && status < 500
    ? undefined
    : `AIQUM rejected the write, request ended ${completed.outcome} (${completed.error?.code ?? 'no error'})`;
}

/**
 * A write whose answer was lost: `unknown` SUBMISSION_AMBIGUOUS (naming the status it saw, when `status`),
 * or the definite outcome `definite` checks, which reconciliation found.
 */
function unknownOr(
  completed: Completed,
  status: number | undefined,
  definite: () => string | undefined,
): string | undefined {
  if (completed.outcome !== 'unknown') return definite();
  const unknown = expectUnknown(completed, requestErrorCodes.submissionAmbiguous);
  if (unknown !== undefined || status === undefined || completed.error?.httpStatus === status) return unknown;
  return `the write was answered ${status}, the request names ${completed.error?.httpStatus}`;
}

/** Faults that leave a client unable to know whether its write was processed. */
const ambiguousFault = (fault: string) =>
  spoilingFaults.has(fault) || fault === 'malformedJson' || unknowableStatuses.has(Number(fault));

/**
 * Whether a write of the request met a fault that hid AIQUM's answer: such a request ended `unknown`
 * (SUBMISSION_AMBIGUOUS) before reconciliation. Reconciliation's share of definite ends is measured on these.
 */
export function formerlyAmbiguous(truth: RequestTruth): boolean {
  return (
    truth.writeFaults.some((write) => ambiguousFault(write.fault)) || onlyJob(truth)?.responseFault != null
  );
}

/**
 * The ground-truth table, first matching row wins. A request may end `unknown` only in the rows whose
 * simulator record shows its answer was truly unknowable; there it may also end with the outcome
 * reconciliation found, which must be the truth. Everywhere else it must be AIQUM's own answer. A write sent
 * again after reconciliation proved AIQUM never received it is no violation; two jobs for one request are.
 */
export const verdicts: readonly Verdict[] = [
  {
    category: 'violation: submitted more than once',
    applies: (truth) => truth.records.length > 1,
    check: (_, truth) => `${truth.submissions} submissions, ${truth.records.length} jobs`,
  },
  {
    category: 'unknowable: 500/502/504 answered after the write was processed',
    applies: (truth) => unknowableStatuses.has(Number(onlyJob(truth)?.responseFault)),
    check: (completed, truth) =>
      unknownOr(completed, Number(onlyJob(truth)?.responseFault), () => checkJobOutcome(completed, truth)),
  },
  {
    category: 'unknowable: the answer to the write that started the job was spoiled',
    applies: (truth) => onlyJob(truth)?.responseFault != null,
    check: (completed, truth) => unknownOr(completed, undefined, () => checkJobOutcome(completed, truth)),
  },
  {
    category: 'unknowable: ONTAP job purged before any poll saw its end',
    applies: (truth) => {
      const job = onlyJob(truth);
      return job?.kind === 'ontap' && job.purged && !job.endSeen;
    },
    check: (completed) => expectUnknown(completed, requestErrorCodes.jobGone),
  },
  {
    category: 'job outcome',
    applies: (truth) => onlyJob(truth) !== undefined,
    check: checkJobOutcome,
  },
  {
    category: 'unknowable: the answer to a rejected write was spoiled',
    applies: (truth) =>
      truth.submissions >= 1 &&
      truth.writeFaults.some((write) => write.processed && ambiguousFault(write.fault)),
    check: (completed) => unknownOr(completed, undefined, () => checkRejected(completed)),
  },
  {
    category: 'rejected by AIQUM',
    applies: (truth) => truth.submissions >= 1,
    check: checkRejected,
  },
  {
    category: 'unknowable: 500/502/504 answered to the write',
    applies: (truth) => {
      const last = lastWriteFault(truth);
      return truth.submissions === 0 && last !== undefined && unknowableStatuses.has(Number(last.fault));
    },
    // Reconciliation proved it never arrived, and it could not be sent again (deadline, attempts).
    check: (completed, truth) =>
      completed.outcome === 'failed' && completed.error?.code === requestErrorCodes.submissionNotReceived
        ? undefined
        : unknownOr(
            completed,
            Number(lastWriteFault(truth)?.fault),
            () => 'expected unknown or not received',
          ),
  },
];

export interface Judgement {
  category: string;
  /** Why the outcome disagrees with the ground truth; undefined when it agrees. */
  mismatch: string | undefined;
}

/** Judges one request's outcome against the simulator's record of it. */
export function judge(completed: Completed, truth: RequestTruth): Judgement {
  const verdict = verdicts.find((row) => row.applies(truth));
  if (!verdict) {
    return {
      category: 'no ground truth explains it',
      mismatch: `request ended ${completed.outcome} (${completed.error?.code ?? 'no error'}); simulator: ${JSON.stringify(truth)}`,
    };
  }
  return { category: verdict.category, mismatch: verdict.check(completed, truth) };
}
