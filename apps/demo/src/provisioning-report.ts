import type { RequestView } from '@aiqum-jobs/contracts';
import type { ProvisioningOutcome } from './provisioning-batch.js';

export interface ProvisioningReport {
  /** One line per ref, in batch order: its outcome, what it waited for, and why it did not succeed. */
  lines: string[];
  /** What differs from the expected outcomes, one line each; empty when all is as expected. */
  mismatches: string[];
}

/**
 * The provisioning's requests as the API shows them (views carry `ref`; events do not), checked against the
 * outcome expected of each ref: a request skipped must also never have reached AIQUM (no job, no submission).
 */
export function provisioningReport(
  requests: readonly RequestView[],
  expectedByRef: Readonly<Record<string, ProvisioningOutcome>>,
): ProvisioningReport {
  const byRef = new Map(
    requests.flatMap((request) => (request.ref === undefined ? [] : [[request.ref, request]])),
  );
  const mismatches: string[] = [];
  const rows: string[][] = [];
  for (const [ref, expected] of Object.entries(expectedByRef)) {
    const request = byRef.get(ref);
    if (request === undefined) {
      mismatches.push(`${ref}: no request of the batch has this ref`);
      continue;
    }
    if (request.outcome !== expected)
      mismatches.push(`${ref}: ended ${request.outcome}, expected ${expected}`);
    if (request.outcome === 'skipped' && (request.job !== undefined || request.submittedAt !== undefined)) {
      mismatches.push(`${ref}: skipped, yet it reached AIQUM`);
    }
    const after = request.dependsOn?.map((dependency) => dependency.ref).join(', ') ?? '';
    const reason = request.error === undefined ? '' : `${request.error.code}: ${request.error.message}`;
    rows.push([ref, request.outcome ?? request.status, after === '' ? '' : `after ${after}`, reason]);
  }
  for (const ref of byRef.keys()) {
    if (!(ref in expectedByRef)) mismatches.push(`${ref}: not a request the provisioning expects`);
  }
  return { lines: aligned(rows), mismatches };
}

/** Columns two spaces apart, the last one unpadded. */
function aligned(rows: readonly string[][]): string[] {
  const widths = (rows[0] ?? []).map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  );
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
