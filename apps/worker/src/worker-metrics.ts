import { requestOutcomes } from '@aiqum-jobs/contracts';
import { deliveryAttemptResults } from '@aiqum-jobs/webhooks';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Seconds: from a quick AIQUM answer to a long poll's wait. */
const callDurationBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The worker process's own metrics. Label values are configured target names, never request ids. */
export interface WorkerMetrics {
  /**
   * Requests this process completed (it made the one transition that ends a request), by outcome;
   * `cancelled` requests are ended by the producer API and not counted here.
   */
  readonly requestsCompleted: Counter<'outcome' | 'target'>;
  /** Attempts of requests with a retry policy that ended with an outcome it retries, so another was scheduled. */
  readonly attemptsRetried: Counter<'outcome' | 'target'>;
  /** Time AIQUM took to answer a submission (the call, whatever its result). */
  readonly submitDuration: Histogram<'target'>;
  /** Time AIQUM took to answer a poll of a Job, a long poll's wait included. */
  readonly pollDuration: Histogram<'target'>;
  /** HTTP answers of AIQUM by status code, every retry's included. */
  readonly aiqumResponses: Counter<'target' | 'status'>;
  /** Webhook delivery attempts; `result` is one of `deliveryAttemptResults` (`@aiqum-jobs/webhooks`). */
  readonly webhookDeliveries: Counter<'result'>;
  /**
   * Tracked requests of targets no worker has served lately, by target (read from Redis, the same from every
   * worker); they end `UNKNOWN_TARGET` once the grace period has passed.
   */
  readonly orphanedTrackedRequests: Gauge<'target'>;
}

/** Registers the worker's metrics, each series of a known label set at 0 so that rates work at once. */
export function createWorkerMetrics(registry: Registry, targets: readonly string[]): WorkerMetrics {
  const registers = [registry];
  const metrics: WorkerMetrics = {
    requestsCompleted: new Counter({
      name: 'aiqum_jobs_requests_completed_total',
      help: 'Requests completed by this process, by outcome and target',
      labelNames: ['outcome', 'target'],
      registers,
    }),
    attemptsRetried: new Counter({
      name: 'aiqum_jobs_attempts_retried_total',
      help: 'Attempts ended with an outcome their retry policy retries (another attempt scheduled), by outcome and target',
      labelNames: ['outcome', 'target'],
      registers,
    }),
    submitDuration: new Histogram({
      name: 'aiqum_jobs_submit_duration_seconds',
      help: 'Duration of AIQUM submission calls, by target',
      labelNames: ['target'],
      buckets: callDurationBuckets,
      registers,
    }),
    pollDuration: new Histogram({
      name: 'aiqum_jobs_poll_duration_seconds',
      help: 'Duration of AIQUM job polls (long polls included), by target',
      labelNames: ['target'],
      buckets: callDurationBuckets,
      registers,
    }),
    aiqumResponses: new Counter({
      name: 'aiqum_jobs_aiqum_responses_total',
      help: 'HTTP responses of AIQUM (retries included), by target and status code',
      labelNames: ['target', 'status'],
      registers,
    }),
    webhookDeliveries: new Counter({
      name: 'aiqum_jobs_webhook_deliveries_total',
      help: 'Webhook delivery attempts, by result (delivered, failed, dead_lettered)',
      labelNames: ['result'],
      registers,
    }),
    orphanedTrackedRequests: new Gauge({
      name: 'aiqum_jobs_orphaned_tracked_requests',
      help: 'Tracked requests of targets no worker has served lately, by target (ended UNKNOWN_TARGET after the grace period)',
      labelNames: ['target'],
      registers,
    }),
  };
  // Cancellations are made by the producer API, never by a worker.
  const workerOutcomes = requestOutcomes.filter((outcome) => outcome !== 'cancelled');
  for (const target of targets) {
    for (const outcome of workerOutcomes) metrics.requestsCompleted.inc({ outcome, target }, 0);
    metrics.attemptsRetried.inc({ outcome: 'failed', target }, 0);
    metrics.submitDuration.zero({ target });
    metrics.pollDuration.zero({ target });
  }
  for (const result of deliveryAttemptResults) metrics.webhookDeliveries.inc({ result }, 0);
  return metrics;
}
