import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * prom-client process metrics that are gauges named like counters, which `promtool check metrics`
 * rejects. Each is the sum of the per-type gauge of the same name without `_total`, which stays.
 */
const gaugesNamedLikeCounters = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * A process's metrics registry: its own, never prom-client's global one (so a test can run several
 * processes' worth side by side), with the standard Node.js process metrics. Those keep their usual
 * unprefixed names (`process_cpu_seconds_total`...) so stock dashboards work; the project's own metrics
 * are all named `aiqum_jobs_*`.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of gaugesNamedLikeCounters) registry.removeSingleMetric(name);
  return registry;
}
