import { ConfigError, createLogger } from '@aiqum-jobs/contracts';
import { startAiqumWorker } from './aiqum-worker.js';
import { loadWorkerConfig, type WorkerConfig } from './worker-config.js';
import { workerUsage } from './worker-usage.js';

// Help must not start a worker, nor need the settings a worker needs.
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(workerUsage);
  process.exit(0);
}

let config: WorkerConfig;
try {
  config = loadWorkerConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`aiqum-worker: ${error.message}\n`);
  process.exit(2);
}

const logger = createLogger({ name: 'aiqum-worker', level: config.logLevel });
// Signals are handled from the first moment: one that comes while the worker is still starting (its
// health server may already answer ready) closes it once started, instead of killing it mid-start.
const started = startAiqumWorker({ config, logger });

/**
 * The shutdown timeout, then this long for the submissions and polls of aborted calls and closing
 * connections: a worker whose Redis hangs or is gone still ends within WORKER_SHUTDOWN_TIMEOUT_MS + 2 s (an
 * init system's kill).
 */
const exitGraceMs = 1_750;

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error(
        { timeoutMs: config.shutdownTimeoutMs + exitGraceMs },
        'shutdown did not finish in time; exiting',
      );
      process.exit(1);
    }, config.shutdownTimeoutMs + exitGraceMs).unref();
    started
      .then((worker) => worker.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  });
}

try {
  await started;
} catch (error) {
  // A setting that only fails at start (a taken port): one line naming it, not a stack trace.
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`aiqum-worker: cannot start: ${error.problems.join('; ')}\n`);
  process.exit(2);
}
