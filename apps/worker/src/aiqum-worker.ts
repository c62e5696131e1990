import { hostname } from 'node:os';
import { createRedisKeys, duplicateRedis, type Logger } from '@aiqum-jobs/contracts';
import {
  connectRedis,
  createMetricsRegistry,
  createRequestQueue,
  DependantRelease,
  EventStreamTrimmer,
  PeriodicTask,
  queuePayloads,
  RedisStateMetrics,
  RequestStore,
  requestQueueName,
  ServedTargets,
  TargetCallGate,
} from '@aiqum-jobs/core';
import { deliveryQueueName, startDeliveryWorker, startFanOutConsumer } from '@aiqum-jobs/webhooks';
import { DelayedError, type Job, Worker } from 'bullmq';
import type { Dispatcher } from 'undici';
import { CallBudget } from './call-budget.js';
import { DueNotices } from './due-notices.js';
import { DuePoller } from './due-poller.js';
import { HealthServer } from './health-server.js';
import { NextAttempts } from './next-attempts.js';
import { OrphanedTargets } from './orphaned-targets.js';
import { PollHandler } from './poll-handler.js';
import { checkRedisSettings } from './redis-settings.js';
import { RequestFinisher } from './request-finisher.js';
import { shutdownLogMessages } from './shutdown-log-messages.js';
import { SubmissionHandler } from './submission-handler.js';
import { closeTargetClients, createTargetClients } from './target-clients.js';
import type { WorkerConfig } from './worker-config.js';
import { createWorkerMetrics } from './worker-metrics.js';

/** A stalled request (its worker died) is taken over this many times before it ends as `unknown`. */
const maxStalledCount = 20;
/** After the shutdown timeout aborts the calls in flight, how long submissions and polls get to record it. */
const hardStopGraceMs = 1_000;
/**
 * How long BullMQ's blocking wait for a new request lasts before it looks again, in seconds (BullMQ's
 * default: 5). A job added wakes it at once; each look costs Redis 7 commands, idle or not.
 */
const idleQueueWaitSeconds = 30;
/**
 * How often a worker looks for released dependants a crash left unqueued (between a completion and the
 * queueing of what it released): the longest such a request waits after a crash.
 */
const releaseSweepIntervalMs = 5_000;
/** Longest wait for one Redis command of a metrics scrape. */
const metricsCommandTimeoutMs = 2_000;

export interface StartAiqumWorkerOptions {
  config: WorkerConfig;
  logger: Logger;
  /** Replaces the AIQUM clients' connection pools; tests inject one. */
  dispatcher?: Dispatcher;
  /** @defaultValue `Date.now` */
  now?: () => number;
}

export interface AiqumWorker extends AsyncDisposable {
  /** Base URL of `/healthz` and `/readyz`. */
  readonly healthUrl: string;
  /** Stops taking work, lets calls in flight finish within the shutdown timeout, then closes everything. */
  close(): Promise<void>;
}

/**
 * Starts one worker process's share of the pipeline: a BullMQ worker on the request queue whose every job
 * run is one submission, and one poller per target that claims the due polls of tracked Jobs, all within the
 * per-target limits shared through Redis; the trimmer of the events stream; the heartbeat of its targets and
 * the end of requests whose target no worker serves; and
 * its share of webhooks: the fan-out of events into deliveries, and the deliveries.
 */
export async function startAiqumWorker(options: StartAiqumWorkerOptions): Promise<AiqumWorker> {
  const { config, logger } = options;
  const redis = connectRedis(config.redis, { maxRetriesPerRequest: null, connectionName: 'aiqum-worker' });
  redis.on('error', (error) => logger.warn({ err: error }, 'Redis connection error'));
  await checkRedisSettings(redis, logger);
  const keys = createRedisKeys(config.prefix);
  const store = new RequestStore({
    redis,
    keys,
    retentionSeconds: config.retentionSeconds,
    ...(options.now ? { now: options.now } : {}),
  });
  const registry = createMetricsRegistry();
  const targetNames = [...config.targets.keys()];
  const metrics = createWorkerMetrics(registry, targetNames);
  // Scrapes read Redis on a connection of their own that fails fast, so a scrape while Redis is down
  // answers at once instead of queueing behind the worker's patient connection.
  const metricsRedis = duplicateRedis(redis, {
    connectionName: 'aiqum-worker-metrics',
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: metricsCommandTimeoutMs,
  });
  // The worker's own connection reports Redis errors; a connection error before ready is retried.
  metricsRedis.on('error', () => {});
  await new Promise((resolve) => metricsRedis.once('ready', resolve));
  const redisState = new RedisStateMetrics({
    registry,
    redis: metricsRedis,
    prefix: config.prefix,
    targets: targetNames,
    queues: [requestQueueName, deliveryQueueName],
    logger,
  });
  const targets = createTargetClients({
    targets: config.targets,
    logger,
    gate: new TargetCallGate(redis, keys),
    ...(options.now ? { now: options.now } : {}),
    aiqumResponses: metrics.aiqumResponses,
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
  });
  const shutdown = new AbortController();
  const hardStop = new AbortController();
  // Dependants made ready by a completion, and attempts whose backoff is over (retry policies), are queued
  // through this queue; the sweep finds the dependants a crash left.
  const requestQueue = createRequestQueue({
    connection: redis,
    prefix: config.prefix,
    retentionSeconds: config.retentionSeconds,
  });
  requestQueue.on('error', (error) => logger.warn({ err: error }, 'request queue error'));
  const release = new DependantRelease({
    store,
    queue: requestQueue,
    logger,
    onSkipped: (spec) => metrics.requestsCompleted.inc({ outcome: 'skipped', target: spec.target }),
  });
  const releaseSweep = new PeriodicTask({
    intervalMs: releaseSweepIntervalMs,
    run: () => release.sweep(),
    onError: (error) => logger.warn({ err: error }, 'cannot sweep released dependants'),
  });
  const finisher = new RequestFinisher(store, release, logger, metrics);
  const submissions = new SubmissionHandler({
    store,
    finisher,
    targets,
    logger,
    metrics,
    shutdownSignal: shutdown.signal,
    hardStopSignal: hardStop.signal,
  });
  const polls = new PollHandler({
    store,
    finisher,
    nextAttempts: new NextAttempts(store, requestQueue, logger),
    targets,
    logger,
    metrics,
    shutdownSignal: shutdown.signal,
  });

  // WORKER_CONCURRENCY is the calls to AIQUM this process makes at once: submissions and every target's polls.
  const budget = new CallBudget(config.concurrency);
  // The name BullMQ records on each job it starts (`processedBy`): which process holds a request, for operators.
  const workerName = `${hostname()}:${process.pid}`;
  const worker = new Worker(
    requestQueueName,
    async (job: Job, token?: string) => {
      const spec = queuePayloads.request.parse(job.data);
      await budget.acquire();
      const submission = await submissions.submit(spec).finally(() => budget.release());
      if (submission.kind === 'again') {
        // BullMQ schedules delayed jobs on the worker's clock, as it does its own retries.
        await job.moveToDelayed(Date.now() + submission.delayMs, token);
        throw new DelayedError();
      }
    },
    {
      name: workerName,
      connection: redis,
      prefix: config.prefix,
      concurrency: config.concurrency,
      lockDuration: config.lockMs,
      stalledInterval: config.stalledIntervalMs,
      maxStalledCount,
      drainDelay: idleQueueWaitSeconds,
      autorun: false,
    },
  );
  worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
  worker.on('failed', (job, error) => {
    if (!job) return;
    void endFailedRequest(job, error).catch((failure: unknown) =>
      logger.error({ jobId: job.id, err: failure }, 'could not record the failure of a request'),
    );
  });

  /** A queue job that failed for good (internal errors, or stalled too often) still gets its one outcome. */
  async function endFailedRequest(job: Job, error: Error): Promise<void> {
    if ((await job.getState()) !== 'failed') return;
    const parsed = queuePayloads.request.safeParse(job.data);
    if (!parsed.success) {
      logger.error({ jobId: job.id }, 'failed queue job has no valid request payload');
      return;
    }
    await submissions.giveUp(parsed.data, error);
  }

  let closing = false;
  // Ready once everything below has started: a worker is not handed work (or signals) half started.
  let started = false;
  const health = await HealthServer.start({
    host: config.health.host,
    port: config.health.port,
    ready: async () => started && !closing && (await redis.ping()) === 'PONG',
    metrics: registry,
    metricsToken: config.metricsToken,
  });
  void worker.run().catch((error: unknown) => logger.error({ err: error }, 'worker stopped'));
  await worker.waitUntilReady();
  // Submissions run as queue jobs; tracked Jobs are polled by one poller per target.
  const pollers = new Map(
    [...targets.values()].map(
      (target) => [target.config.name, new DuePoller({ store, polls, target, budget, logger })] as const,
    ),
  );
  // Subscribed before the pollers' first claims, so no poll scheduled meanwhile goes unnoticed.
  const dueNotices = await DueNotices.start({ redis, channel: keys.dueChanges, pollers, logger });
  for (const poller of pollers.values()) poller.start();
  const webhookLogger = logger.child({ component: 'webhooks' });
  const deliveries = await startDeliveryWorker({
    redis,
    prefix: config.prefix,
    retentionSeconds: config.retentionSeconds,
    config: config.webhooks,
    logger: webhookLogger,
    abortSignal: hardStop.signal,
    onAttempt: (result) => metrics.webhookDeliveries.inc({ result }),
    ...(options.now ? { now: options.now } : {}),
  });
  // Always on: subscriptions made through the API start getting events without a restart.
  const fanOut = startFanOutConsumer({
    redis,
    prefix: config.prefix,
    retentionSeconds: config.retentionSeconds,
    config: config.webhooks,
    consumer: workerName,
    logger: webhookLogger,
  });
  // Events are trimmed here rather than as they are added, so that no consumer group loses one it needs.
  const trimmer = new EventStreamTrimmer({
    redis,
    keys,
    retentionSeconds: config.retentionSeconds,
    maxGroupIdleSeconds: config.maxGroupIdleSeconds,
    logger,
    ...(options.now ? { now: options.now } : {}),
  });
  trimmer.start();
  // Advertises this worker's targets, and ends the tracked requests of targets that no worker serves.
  const orphans = new OrphanedTargets({
    redis,
    keys,
    served: new ServedTargets(redis, keys),
    store,
    release,
    targets: targetNames,
    graceSeconds: config.orphanedTargetGraceSeconds,
    metrics,
    logger,
  });
  orphans.start();
  releaseSweep.start();
  started = true;
  logger.info(
    {
      concurrency: config.concurrency,
      targets: [...targets.keys()],
      webhookConcurrency: config.webhooks.concurrency,
      health: health.url,
    },
    'worker started',
  );

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      // Long polls are safe to stop: their requests are handed to another worker at once.
      shutdown.abort();
      const after = (ms: number) =>
        new Promise<'timeout'>((resolve) => setTimeout(resolve, ms, 'timeout').unref());
      // BullMQ's close() is memoised: a later close(true) returns this same promise and never forces.
      const workerClosed = Promise.all([
        worker.close(),
        deliveries.close(),
        fanOut.close(),
        ...[...pollers.values()].map((poller) => poller.stop()),
        trimmer.stop(),
        orphans.stop(),
        releaseSweep.stop(),
      ]);
      if ((await Promise.race([workerClosed, after(config.shutdownTimeoutMs)])) === 'timeout') {
        logger.warn({ timeoutMs: config.shutdownTimeoutMs }, shutdownLogMessages.callsAborted);
        // Each aborted call ends its submission or poll at once, recorded as its error says.
        hardStop.abort();
        if ((await Promise.race([workerClosed, after(hardStopGraceMs)])) === 'timeout') {
          logger.error({ graceMs: hardStopGraceMs }, shutdownLogMessages.stepsStillRunning);
        }
      }
      await health.close();
      await redisState.close();
      metricsRedis.disconnect();
      dueNotices.close();
      await closeTargetClients(targets);
      await requestQueue.close();
      await redis.quit();
      logger.info('worker stopped');
    })();
    return closed;
  };

  return { healthUrl: health.url, close, [Symbol.asyncDispose]: close };
}
