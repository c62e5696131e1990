import { fileURLToPath } from 'node:url';
import { freePort, TestProcess } from '@aiqum-jobs/test-support';

const repoFile = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

/** The built command-line entry points of the apps. */
export const bins = {
  worker: repoFile('apps/worker/bin/aiqum-worker.js'),
  cli: repoFile('apps/producer/bin/aiqum-jobs.js'),
};

/** A real process of one of the apps (the built one), with the base URL of its HTTP port. */
export type ServiceProcess = TestProcess & {
  /** `/healthz`, `/readyz`, and the API for the producer. */
  readonly url: string;
};

/** Beyond the worker's shutdown timeout (10 s by default) and its exit: a busy worker's graceful stop fits. */
const stopTimeoutMs = 20_000;

/** An `aiqum-worker` with `env`, on a free health port, once it is ready. */
export async function startWorkerProcess(env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  return startService([bins.worker], { ...env, WORKER_HEALTH_PORT: String(port) }, port);
}

/** `aiqum-jobs serve` with `env`, on a free port, once it is ready. */
export async function startProducerProcess(env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  return startService([bins.cli, 'serve'], { ...env, PRODUCER_PORT: String(port) }, port);
}

async function startService(
  args: string[],
  env: Record<string, string>,
  port: number,
): Promise<ServiceProcess> {
  const url = `http://127.0.0.1:${port}`;
  const service = await TestProcess.start({ args, env, ready: { url: `${url}/readyz` }, stopTimeoutMs });
  return Object.assign(service, { url });
}
