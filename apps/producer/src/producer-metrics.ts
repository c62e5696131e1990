import { Counter, Histogram, type Registry } from 'prom-client';

/** The producer's own metrics. Label values are routes and configured target names, never ids. */
export interface ProducerMetrics {
  /** HTTP requests answered, by method, route (its pattern, e.g. `/v1/requests/:id`) and status. */
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  /** Time to answer an HTTP request (an event stream: how long it stayed open). */
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  /** Requests stored and queued, batch members included, by target. */
  readonly requestsCreated: Counter<'target'>;
  readonly batchesCreated: Counter;
}

/** Registers the producer's metrics, each series of a known label set at 0 so that rates work at once. */
export function createProducerMetrics(registry: Registry, targets: readonly string[]): ProducerMetrics {
  const registers = [registry];
  const labelNames = ['method', 'route', 'status'] as const;
  const metrics: ProducerMetrics = {
    httpRequests: new Counter({
      name: 'aiqum_jobs_http_requests_total',
      help: 'HTTP requests answered by the producer API, by method, route and status',
      labelNames,
      registers,
    }),
    httpRequestDuration: new Histogram({
      name: 'aiqum_jobs_http_request_duration_seconds',
      help: 'Time the producer API took to answer, by method, route and status',
      labelNames,
      registers,
    }),
    requestsCreated: new Counter({
      name: 'aiqum_jobs_requests_created_total',
      help: 'Requests stored and queued (batch members included), by target',
      labelNames: ['target'],
      registers,
    }),
    batchesCreated: new Counter({
      name: 'aiqum_jobs_batches_created_total',
      help: 'Batches stored and queued',
      registers,
    }),
  };
  for (const target of targets) metrics.requestsCreated.inc({ target }, 0);
  return metrics;
}
