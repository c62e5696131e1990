import { createLogger } from '@aiqum-jobs/contracts';
import type { Environment } from '@aiqum-jobs/core';
import { loadProducerConfig } from './producer-config.js';
import { startProducerService } from './producer-service.js';

/** `aiqum-jobs serve`: runs the API until SIGTERM or SIGINT, then closes the server before Redis. */
export async function serve(env: Environment): Promise<void> {
  const config = loadProducerConfig(env);
  const logger = createLogger({ name: 'aiqum-producer', level: config.logLevel });
  const service = await startProducerService(config, { logger });
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'shutting down');
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  // Whatever Redis does (gone, or hanging), the process ends within the timeout.
  const deadline = setTimeout(() => {
    logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown did not finish in time; exiting');
    process.exit(1);
  }, config.shutdownTimeoutMs);
  deadline.unref();
  await service.close();
  clearTimeout(deadline);
}
