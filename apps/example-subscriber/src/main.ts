import { ConfigError, createLogger } from '@aiqum-jobs/contracts';
import { subscribe } from '@aiqum-jobs/subscriber';
import { Redis } from 'ioredis';
import { type ExampleConfig, loadExampleConfig } from './example-config.js';
import { formatCompletion } from './format-completion.js';

let config: ExampleConfig;
try {
  config = loadExampleConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`aiqum-example-subscriber: ${error.message}\n`);
  process.exit(2);
}

// Standard output carries the completions; logs go to standard error.
const logger = createLogger({
  name: 'aiqum-example-subscriber',
  level: config.logLevel,
  destination: process.stderr,
});
const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
redis.on('error', (error) => logger.warn({ err: error }, 'Redis connection error'));

const subscription = subscribe({
  redis,
  prefix: config.prefix,
  group: config.group,
  consumer: config.consumer,
  types: ['request.completed', 'batch.completed'],
  ...(config.batchId ? { batchId: config.batchId } : {}),
  logger,
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'shutting down');
    void subscription.close();
  });
}
logger.info({ group: config.group, consumer: config.consumer }, 'subscribed');

for await (const { event } of subscription) {
  // The types filter lets only completions through.
  if (event.type === 'request.accepted') continue;
  process.stdout.write(`${formatCompletion(event)}\n`);
}
await redis.quit();
