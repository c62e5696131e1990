/** `aiqum-worker --help`: what it reads from the environment; docs/CONFIGURATION.md says the rest. */
export const workerUsage = `usage: aiqum-worker

Submits queued AIQUM requests, re-polls their Jobs through Redis and completes them, until SIGTERM or SIGINT.
Every setting comes from the environment (docs/CONFIGURATION.md has defaults and details):

  REDIS_URL or REDIS_CLUSTER_NODES             the Redis, or the Redis Cluster's nodes
  AIQUM_JOBS_PREFIX                            prefix of every Redis key (default {aiqum-jobs})
  AIQUM_JOBS_RETENTION_SECONDS                 how long finished requests and events are kept
  AIQUM_JOBS_MAX_GROUP_IDLE_SECONDS            idle time after which a consumer group stops holding events
  AIQUM_JOBS_METRICS_TOKEN                     bearer token /metrics asks for, when set
  AIQUM_TARGETS_FILE                           JSON or YAML file of targets, or else one target from
  AIQUM_URL, AIQUM_USERNAME, AIQUM_PASSWORD (or AIQUM_PASSWORD_FILE), AIQUM_CA_FILE, AIQUM_INSECURE_TLS
                                               (AIQUM_URL is an AIQUM server; AIQUM_JOBS_URL, the CLI's, is this API)
  WORKER_CONCURRENCY                           calls one worker makes at once
  WORKER_HEALTH_HOST, WORKER_HEALTH_PORT       /healthz, /readyz, /metrics
  WORKER_LOCK_MS, WORKER_STALLED_INTERVAL_MS   a crashed worker's requests are taken over after about their sum
  WORKER_SHUTDOWN_TIMEOUT_MS                   how long SIGTERM waits for calls in flight
  WORKER_ORPHANED_TARGET_GRACE_SECONDS         how long a target may go unserved before its requests end unknown
  LOG_LEVEL                                    pino level

Exit codes: 0 after a clean shutdown, 1 when the shutdown was cut short, 2 for a bad setting.
`;
