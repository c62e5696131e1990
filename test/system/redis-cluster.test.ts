import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AiqumJobsEvent } from '@aiqum-jobs/contracts';
import { ProducerApiClient } from '@aiqum-jobs/producer';
import { igroupRequest, lunRequest, runCommand } from '@aiqum-jobs/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judge, SimulatorReader } from '../src/ground-truth.js';
import { bins, guaranteesKept, PipelineUnderTest, type ServiceProcess, WorkerKiller } from '../src/index.js';

const maxConcurrent = 6;
const token = randomBytes(24).toString('hex');
// What Redis Cluster answers when keys of one command or script are not in one slot or not on this node.
const clusterErrors = /CROSSSLOT|MOVED|ASK |non local key|different slots|CLUSTERDOWN/;

let pipeline: PipelineUnderTest;
let api: ServiceProcess;
let reader: SimulatorReader;
let workDir: string;

beforeAll(async () => {
  pipeline = await PipelineUnderTest.start({
    workers: 3,
    redisCluster: true,
    // A call timeout far above the simulator's latency: on a loaded machine a timed-out write would end
    // `unknown`, which is right but not what this test is about.
    target: { limits: { maxConcurrent, maxPerSecond: 2_000 }, timeoutMs: 30_000 },
    simulator: {
      tls: true,
      scenario: {
        rules: [
          {
            match: { body: { name: '*_warn' } },
            job: { durationMs: { min: 100, max: 1_500 }, outcomes: { WARNING: 1 } },
          },
          {
            match: { body: { name: '*_err' } },
            job: { durationMs: { min: 100, max: 1_500 }, outcomes: { ERROR: 1 }, message: 'no space' },
          },
          { match: { method: 'POST' }, job: { durationMs: { min: 0, max: 3_000 } } },
          // Every call is a little slow: concurrent calls overlap, and a kill lands while calls are in flight.
          { match: { path: '/api/**' }, faults: { latencyMs: { min: 10, max: 40 } } },
        ],
      },
    },
  });
  api = await pipeline.startProducerApi({ PRODUCER_API_TOKENS: token });
  reader = new SimulatorReader(pipeline.simulator);
  workDir = mkdtempSync(join(tmpdir(), 'aiqum-jobs-cluster-'));
}, 90_000);

afterAll(async () => {
  reader?.close();
  await pipeline?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** Runs the CLI against the producer API process. */
function cli(...args: string[]) {
  return runCommand({ args: [bins.cli, ...args], env: { AIQUM_JOBS_URL: api.url, AIQUM_JOBS_TOKEN: token } });
}

describe('the pipeline on a three-master Redis Cluster', () => {
  it('completes a batch of 300 through the producer API and 3 workers as on one Redis', async () => {
    const requests = [
      ...Array.from({ length: 240 }, (_, i) => lunRequest(`lun_${i}`)),
      ...Array.from({ length: 20 }, (_, i) => lunRequest(`lun_${i}_warn`)),
      ...Array.from({ length: 20 }, (_, i) => lunRequest(`lun_${i}_err`)),
      ...Array.from({ length: 10 }, (_, i) => lunRequest(`lun_${i}_rejected`, { svm: 'vs_none' })),
      ...Array.from({ length: 10 }, (_, i) => igroupRequest(`ig_${i}`)),
    ];
    const file = join(workDir, 'batch.ndjson');
    writeFileSync(file, `${requests.map((request) => JSON.stringify(request)).join('\n')}\n`);

    // A subscriber follows the events over SSE meanwhile: XREAD BLOCK on a connection of its own.
    const streamed = followUntilBatchCompleted();
    const submitted = await cli('submit', file, '--watch', '--idempotency-key', 'cluster-batch-1');
    // Some requests fail by design: the CLI says so with 1.
    expect(submitted.code, submitted.stderr).toBe(1);
    const batchId = /batch ([0-9a-f-]{36})/.exec(submitted.stdout)?.[1] ?? '';
    expect(batchId, submitted.stdout).not.toBe('');
    // The Idempotency-Key is kept on the cluster too: the same call answers the same batch.
    const replayed = await cli('submit', file, '--idempotency-key', 'cluster-batch-1', '-o', 'json');
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(JSON.parse(replayed.stdout)).toMatchObject({ batchId, total: 300 });

    const sse = await streamed;
    expect(sse.filter((event) => event.type === 'batch.completed')).toEqual([
      expect.objectContaining({ batchId, total: 300 }),
    ]);
    const sseCompleted = sse.filter((event) => event.type === 'request.completed');
    expect(new Set(sseCompleted.map((event) => event.requestId)).size).toBe(300);
    expect(sseCompleted).toHaveLength(300);

    const page = await pipeline.producer.listBatchRequests(batchId, { offset: 0, limit: 300 });
    const requestIds = page?.requests.map((request) => request.requestId) ?? [];
    expect(requestIds).toHaveLength(300);
    const report = await pipeline.report(batchId, requestIds);
    console.info(`redis cluster batch: ${JSON.stringify(report)}`);
    expect(report).toMatchObject(guaranteesKept(300));
    expect(report.byOutcome).toEqual({ succeeded: 250, warning: 20, failed: 30 });
    // The summary the operator saw says the same.
    expect(submitted.stdout).toMatch(/succeeded\s+250/);

    // Every LUN's outcome is what the simulator knows happened (its ground truth covers writes that start a
    // job or are rejected; the initiator groups are created synchronously).
    const completed = new Map(
      (await pipeline.events({ types: ['request.completed'], batchId }))
        .filter((event) => event.path === '/api/storage-provider/luns')
        .map((event) => [event.requestId, event]),
    );
    expect(completed.size).toBe(290);
    const truths = await reader.groundTruth([...completed.keys()]);
    const mismatches = [...completed.keys()].flatMap((requestId) => {
      const event = completed.get(requestId);
      const truth = truths.get(requestId);
      if (!event || !truth) return [`${requestId}: no event or no ground truth`];
      const { mismatch } = judge(event, truth);
      return mismatch === undefined ? [] : [`${requestId}: ${mismatch}`];
    });
    expect(mismatches).toEqual([]);

    // Three worker processes with 50 slots each: the limit shared through the cluster holds AIQUM at 6,
    // and had to (the calls reached it).
    expect(pipeline.simulator.stats().peakConcurrentRequests).toBe(maxConcurrent);
    // The hash-tagged prefix keeps every key (ours and BullMQ's) in one slot, so on one master.
    const endpoint = pipeline.redisEndpoint;
    const keysPerMaster = await Promise.all(endpoint.kind === 'cluster' ? endpoint.nodes.map(keyCount) : []);
    expect(keysPerMaster).toHaveLength(3);
    expect(keysPerMaster.filter((count) => count > 0)).toHaveLength(1);
    for (const service of [...pipeline.workers, ...pipeline.producerApis]) {
      expect(service.output).not.toMatch(clusterErrors);
    }
    expect(`${submitted.stderr}${replayed.stderr}`).not.toMatch(clusterErrors);
  });

  it('loses nothing and submits nothing twice when a worker is SIGKILLed mid-batch', async () => {
    const requests = Array.from({ length: 200 }, (_, i) => lunRequest(`kill_${i}`));
    const { batchId, requestIds } = await pipeline.submitBatch(requests);
    // Mid-batch: the first worker seen running submissions.
    const killer = new WorkerKiller(pipeline);
    const kill = await killer.killBusyWorker();
    const takeoverMs = await kill.takeoverMs;
    await killer.close();

    await pipeline.waitForBatch(batchId, 120_000);
    const report = await pipeline.report(batchId, requestIds);
    console.info(
      `redis cluster worker kill: ${JSON.stringify({ inFlightAtKill: kill.inFlight.length, takeoverMs, ...report })}`,
    );
    expect(report).toMatchObject(guaranteesKept(200));
    expect(takeoverMs).toBeLessThan(killer.takeoverBoundMs);
    // Only a submission the kill interrupted may end unknown, as ambiguous; everything else succeeds.
    expect(report.unknownRequestIds.filter((id) => !kill.inFlight.includes(id))).toEqual([]);
    const unknown = report.byOutcome.unknown ?? 0;
    expect(report.unknownCodes).toEqual(unknown > 0 ? { SUBMISSION_AMBIGUOUS: unknown } : {});
    expect((report.byOutcome.succeeded ?? 0) + unknown).toBe(200);
    for (const service of pipeline.workers) expect(service.output).not.toMatch(clusterErrors);
  });
});

/** The events of the API's SSE stream from its start until the first `batch.completed`. */
async function followUntilBatchCompleted(): Promise<AiqumJobsEvent[]> {
  const client = new ProducerApiClient({ baseUrl: api.url, token });
  const controller = new AbortController();
  const events: AiqumJobsEvent[] = [];
  for await (const { event } of client.events({ after: '0', signal: controller.signal })) {
    events.push(event);
    if (event.type === 'batch.completed') controller.abort();
  }
  return events;
}

async function keyCount(url: string): Promise<number> {
  const redis = new Redis(url);
  try {
    return await redis.dbsize();
  } finally {
    redis.disconnect();
  }
}
