import { type BatchView, type RequestView, requestOutcomes } from '@aiqum-jobs/contracts';
import type { z } from 'zod';
import type { batchResponseSchema, submitResponseSchema } from './api-schemas.js';
import { type CliResult, formatFields, formatTable, singleResult } from './cli-format.js';
import { resolvedLine } from './resolved-lines.js';

type BatchResponse = z.output<typeof batchResponseSchema>;
type SubmitResponse = z.output<typeof submitResponseSchema>;

/** How many requests that did not succeed a watched batch's table lists; json and ndjson list all. */
const maxListed = 100;

export function submittedResult(answer: BatchResponse): CliResult {
  return singleResult(answer, `batch ${answer.batchId}: ${answer.total} requests queued\n`);
}

export function retriedResult(answer: SubmitResponse, retryOf: string): CliResult {
  return singleResult(answer, `request ${answer.requestId}: queued, retrying ${retryOf}\n`);
}

export function requestResult(request: RequestView): CliResult {
  const fields = formatFields([
    ['requestId', request.requestId],
    ['batchId', request.batchId],
    ['target', request.target],
    ['call', `${request.method} ${request.path}`],
    ['status', request.status],
    ['retryOf', request.retryOf],
    ['retries', request.retries?.join(', ')],
    ['outcome', request.outcome],
    ['error', request.error && `${request.error.code}: ${request.error.message}`],
    ['job', request.job && (request.job.kind === 'aiqum' ? request.job.key : request.job.uuid)],
    ['jobState', request.jobState?.state],
    ['created', request.createdAt],
    ['submitted', request.submittedAt],
    ['finished', request.finishedAt],
  ]);
  const resolved = request.resolved ?? [];
  const names =
    resolved.length === 0
      ? ''
      : `\nnames looked up:\n${resolved.map((r) => `  ${resolvedLine(r)}\n`).join('')}`;
  return singleResult(request, fields + names);
}

export function batchResult(batch: BatchView): CliResult {
  return singleResult(batch, countsTable(batch));
}

export function batchesResult(batches: readonly BatchView[]): CliResult {
  const rows = batches.map((batch) => [
    batch.batchId,
    String(batch.total),
    `${batch.byStatus.completed}/${batch.total}`,
    String(batch.byOutcome.succeeded ?? 0),
    batch.done ? 'yes' : 'no',
    batch.createdAt,
  ]);
  return {
    document: { batches },
    items: batches,
    table: formatTable(['batch', 'total', 'done', 'succeeded', 'ended', 'created'], rows),
  };
}

export function requestsResult(batchId: string, requests: readonly RequestView[]): CliResult {
  return {
    document: { batchId, requests },
    items: requests,
    table: formatTable(['request', 'status', 'outcome', 'call', 'reason'], requests.map(requestRow)),
  };
}

/** A watched batch once it ended: its counts, and each request that did not succeed. */
export function watchedResult(batch: BatchView, requests: readonly RequestView[]): CliResult {
  const unsuccessful = requests.filter((request) => request.outcome !== 'succeeded');
  let table = `batch ${batch.batchId} complete\n${countsTable(batch)}`;
  if (unsuccessful.length > 0) {
    const listed = unsuccessful.slice(0, maxListed);
    table += `\nrequests that did not succeed:\n${formatTable(
      ['request', 'outcome', 'reason'],
      listed.map((r) => [r.requestId, r.outcome ?? '', reasonOf(r)]),
    )}`;
    if (unsuccessful.length > listed.length) table += `... and ${unsuccessful.length - listed.length} more\n`;
  }
  return { document: { batch, requests }, items: requests, table };
}

function countsTable(batch: BatchView): string {
  const rows = requestOutcomes.map((outcome) => [outcome, String(batch.byOutcome[outcome] ?? 0)]);
  return formatTable(['outcome', 'count'], [...rows, ['total', String(batch.total)]]);
}

function requestRow(request: RequestView): string[] {
  return [
    request.requestId,
    request.status,
    request.outcome ?? '',
    `${request.method} ${request.path}`,
    reasonOf(request),
  ];
}

/** A warning or partial failure carries no error: AIQUM's reason is its job's failing task. */
function reasonOf(request: RequestView): string {
  if (request.error) return `${request.error.code}: ${request.error.message}`;
  return request.outcome === 'succeeded' ? '' : (request.jobState?.message ?? '');
}
