import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineUnderTest } from '../src/index.js';

const shutdownTimeoutMs = 3_000;
/** The bound of docs/CONFIGURATION.md: the shutdown timeout, plus 2 s to close what is left and exit. */
const exitBoundMs = shutdownTimeoutMs + 2_000;

let pipeline: PipelineUnderTest;

beforeAll(async () => {
  pipeline = await PipelineUnderTest.start({
    workers: 1,
    workerEnv: { WORKER_SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs) },
  });
  await pipeline.startProducerApi({ PRODUCER_SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs) });
}, 60_000);
afterAll(async () => {
  pipeline.redis.signal('SIGCONT');
  await pipeline.close();
});

describe('shutdown while Redis does not answer', () => {
  it('a SIGTERM ends the worker and the producer API within their shutdown timeout + 2 s, Redis hanging', async () => {
    const [worker] = pipeline.workers;
    const [producer] = pipeline.producerApis;
    if (!worker || !producer) throw new Error('no processes');
    await pipeline.redis.pause();
    const exits = await Promise.all(
      [worker, producer].map(async (service) => {
        const started = Date.now();
        service.signal('SIGTERM');
        const exit = await Promise.race([
          service.exited,
          new Promise<undefined>((resolve) => setTimeout(resolve, exitBoundMs * 3, undefined)),
        ]);
        return { name: service.name, exit, ms: Date.now() - started };
      }),
    );
    console.info(`shutdown without Redis: ${JSON.stringify(exits)}`);
    for (const { exit, ms } of exits) {
      expect(exit).toBeDefined();
      expect(ms).toBeLessThan(exitBoundMs);
    }
  });
});
