import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AiqumClient } from '@aiqum-jobs/aiqum-client';
import { startSimulator } from '@aiqum-jobs/aiqum-simulator';
import { type BatchCompletedEvent, createLogger, createRedisKeys, eventSchema } from '@aiqum-jobs/contracts';
import { connectRedis, type RedisEndpoint } from '@aiqum-jobs/core';
import { loadProducerConfig, ProducerApiClient, startProducerService } from '@aiqum-jobs/producer';
import { deleteKeysWithPrefix } from '@aiqum-jobs/test-support';
import { loadWorkerConfig, startAiqumWorker } from '@aiqum-jobs/worker';
import { z } from 'zod';
import { demoBatch, demoScenario } from './demo-batch.js';
import { localRedis } from './local-redis.js';
import { failingSvmName } from './provisioning-batch.js';
import { provisioningReport } from './provisioning-report.js';

const cli = fileURLToPath(new URL('../../producer/bin/aiqum-jobs.js', import.meta.url));
const say = (line: string) => process.stdout.write(`${line}\n`);

/**
 * The whole pipeline on one machine: Redis, the AIQUM simulator, a worker and the producer API, then the
 * `aiqum-jobs` CLI submits a realistic batch and watches it to the end. Exits 0 when the batch completed
 * with the counts the simulator's scenario implies, and each request of its provisioning in order with the
 * outcome expected of its ref.
 */
async function main(): Promise<number> {
  // Logs go to stderr at warn, so the CLI's progress stays readable.
  const logger = createLogger({
    name: 'aiqum-demo',
    level: process.env.LOG_LEVEL ?? 'warn',
    destination: process.stderr,
  });
  const redis = await localRedis(process.env);
  say(`Redis: ${redis.origin}`);
  const simulator = await startSimulator({ scenario: demoScenario, seed: 42 });
  const workDir = mkdtempSync(join(tmpdir(), 'aiqum-jobs-demo-'));
  const prefix = `{aiqum-jobs-demo-${randomBytes(4).toString('hex')}}`;
  const token = randomBytes(24).toString('hex');
  const env = {
    ...redis.env,
    AIQUM_JOBS_PREFIX: prefix,
    AIQUM_URL: simulator.url,
    AIQUM_USERNAME: 'admin',
    AIQUM_PASSWORD: 'admin123',
    AIQUM_CA_FILE: simulator.caFile ?? '',
    WORKER_HEALTH_PORT: '0',
    PRODUCER_PORT: '0',
    PRODUCER_API_TOKENS: token,
  };
  say(`AIQUM simulator: ${simulator.url} (CA ${simulator.caFile})`);
  const worker = await startAiqumWorker({ config: loadWorkerConfig(env), logger });
  const producer = await startProducerService(loadProducerConfig(env), { logger });
  say(`producer API: ${producer.url}; worker health: ${worker.healthUrl}`);
  try {
    // The batch names everything; only the ONTAP gateway's path needs the cluster's uuid.
    const batch = demoBatch(await clusterByName(simulator.url, simulator.caPem ?? '', 'cluster-01'));
    const file = join(workDir, 'batch.json');
    writeFileSync(file, JSON.stringify(batch.requests, null, 2));
    say(`\nsubmitting ${batch.requests.length} requests: aiqum-jobs submit ${file} --watch\n`);
    const code = await run(process.execPath, [cli, 'submit', file, '--watch'], {
      ...process.env,
      AIQUM_JOBS_URL: producer.url,
      AIQUM_JOBS_TOKEN: token,
    });
    // 1 says some requests did not succeed: the scenario has such requests, and the counts below decide.
    if (code !== 0 && code !== 1) {
      say(`aiqum-jobs exited with ${code}`);
      return 1;
    }
    const completed = await batchCompleted(redis.endpoint, prefix);
    const counts: Record<string, number> = completed.counts;
    const mismatches = Object.entries(batch.expected).filter(([outcome, count]) => counts[outcome] !== count);
    if (mismatches.length > 0) {
      say(`\nthe batch ended with ${JSON.stringify(counts)}, expected ${JSON.stringify(batch.expected)}`);
      return 1;
    }
    const client = new ProducerApiClient({ baseUrl: producer.url, token });
    const page = await client.listBatchRequests(completed.batchId, 0, batch.requests.length);
    const report = provisioningReport(page.requests, batch.expectedByRef);
    say(`\nthe provisioning in order, by ref (SVM ${failingSvmName} fails; what depends on it is skipped):`);
    for (const line of report.lines) say(`  ${line}`);
    if (report.mismatches.length > 0) {
      say(
        `\nthe provisioning did not end as expected:\n${report.mismatches.map((m) => `  ${m}`).join('\n')}`,
      );
      return 1;
    }
    const skipped = Object.values(batch.expectedByRef).filter((outcome) => outcome === 'skipped').length;
    say(`\nexactly the ${skipped} dependants of SVM ${failingSvmName} were skipped, and none reached AIQUM`);
    say('demo complete: every request ended with one completion event, and the counts match the scenario');
    return 0;
  } finally {
    await producer.close();
    await worker.close();
    await simulator.close();
    await deleteKeys(redis.endpoint, prefix);
    await redis.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

async function clusterByName(url: string, caPem: string, name: string): Promise<string> {
  await using client = new AiqumClient({ baseUrl: url, username: 'admin', password: 'admin123', ca: caPem });
  for await (const cluster of client.list('/api/gateways', {
    schema: z.looseObject({ uuid: z.string(), name: z.string() }),
  })) {
    if (cluster.name === name) return cluster.uuid;
  }
  throw new Error(`the simulator has no cluster ${name}`);
}

/** The one batch.completed event of the demo's prefix. */
async function batchCompleted(endpoint: RedisEndpoint, prefix: string): Promise<BatchCompletedEvent> {
  const redis = connectRedis(endpoint);
  try {
    const entries = await redis.xrange(createRedisKeys(prefix).events, '-', '+');
    const batches = entries
      .map(([, fields]) => eventSchema.parse(JSON.parse(fields[1] ?? '')))
      .filter((event) => event.type === 'batch.completed');
    if (batches.length !== 1 || batches[0]?.type !== 'batch.completed') {
      throw new Error(`expected one batch.completed event, found ${batches.length}`);
    }
    return batches[0];
  } finally {
    redis.disconnect();
  }
}

async function deleteKeys(endpoint: RedisEndpoint, prefix: string): Promise<void> {
  const redis = connectRedis(endpoint);
  try {
    await deleteKeysWithPrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
