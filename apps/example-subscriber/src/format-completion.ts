import type { BatchCompletedEvent, RequestCompletedEvent } from '@aiqum-jobs/contracts';

/** One line per completion: time, type, id, outcome (or counts), then what a reader needs to act on it. */
export function formatCompletion(event: RequestCompletedEvent | BatchCompletedEvent): string {
  if (event.type === 'batch.completed') {
    const counts = Object.entries(event.counts)
      .filter(([, count]) => count > 0)
      .map(([outcome, count]) => `${outcome}=${count}`);
    return [event.finishedAt, event.type, event.batchId, `total=${event.total}`, ...counts].join(' ');
  }
  return [
    event.finishedAt,
    event.type,
    event.requestId,
    event.outcome,
    event.target,
    event.method,
    event.path,
    ...(event.batchId ? [`batch=${event.batchId}`] : []),
    ...(event.error ? [`error=${event.error.code}`] : []),
  ].join(' ');
}
