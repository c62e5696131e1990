import { seedInventoryKeys } from '@aiqum-jobs/aiqum-simulator';
import { objectKinds, type RequestInput } from '@aiqum-jobs/contracts';
import { lunRequest } from '@aiqum-jobs/test-support';
import { z } from 'zod';
import { BenchPipeline } from '../bench-pipeline.js';
import { CompletionStream } from '../completion-stream.js';
import { round } from '../percentiles.js';
import { commandCounts, commandDelta, totalCalls } from '../redis-stats.js';
import type { ScenarioOutcome, TargetCheck } from '../report.js';
import { httpCalls, type SimulatorCounts, SimulatorProcess } from '../simulator-process.js';
import { profilingArgs, type ScenarioContext } from './scenario-context.js';

export interface NamesSizes {
  /** LUN creations of each timed batch (one by name, one by keys). */
  requests: number;
  /** SVMs the LUNs are spread over: the simulator's 4 seeded ones and more created through its API. */
  svms: number;
}

export function namesSizes(quick: boolean): NamesSizes {
  return { requests: quick ? 2_000 : 10_000, svms: 20 };
}

/** The simulator's three system-defined performance service levels. */
const serviceLevels = ['Extreme Performance', 'Performance', 'Value'] as const;

/** Per worker process, as in the throughput scenario. */
const concurrency = 100;

/** Every collection the worker's resolver may search (`objectKinds` of core's name-reference table). */
const lookupCollections = [...new Set(Object.values(objectKinds).map((kind) => kind.collection))];

const jobSchema = z.object({ job: z.object({ key: z.string() }) });
const jobRecordSchema = z.object({ state: z.string(), status: z.string() });
const svmPageSchema = z.object({
  records: z.array(z.object({ key: z.string(), name: z.string(), cluster: z.object({ name: z.string() }) })),
});

interface Svm {
  name: string;
  key: string;
  cluster: string;
}

/**
 * The SVMs the batches use: the seeded vs1–vs4 and vs5… created through the simulator's API (POST with
 * `cluster.key`, each job waited for), alternating between the two clusters.
 */
async function prepareSvms(simulator: SimulatorProcess, count: number): Promise<Svm[]> {
  const clusters = seedInventoryKeys(1).clusters;
  const clusterNames = Object.keys(clusters);
  const jobs: string[] = [];
  for (let n = 5; n <= count; n += 1) {
    const cluster = clusterNames[n % clusterNames.length] ?? 'cluster-01';
    const answer = jobSchema.parse(
      await simulator.call('POST', '/api/datacenter/svm/svms', {
        name: `vs${n}`,
        cluster: { key: clusters[cluster] },
      }),
    );
    jobs.push(answer.job.key);
  }
  for (const key of jobs) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const job = jobRecordSchema.parse(
        await simulator.call('GET', `/api/management-server/jobs/${encodeURIComponent(key)}`),
      );
      if (job.state === 'completed') {
        if (job.status !== 'normal') throw new Error(`SVM creation job ${key} ended ${job.status}`);
        break;
      }
      if (Date.now() > deadline) throw new Error(`SVM creation job ${key} did not end within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  const page = svmPageSchema.parse(
    await simulator.call('GET', '/api/datacenter/svm/svms?max_records=1000&order_by=name'),
  );
  const svms = page.records.map((svm) => ({ name: svm.name, key: svm.key, cluster: svm.cluster.name }));
  if (svms.length < count) throw new Error(`the simulator has ${svms.length} SVMs, ${count} were wanted`);
  return svms.slice(0, count);
}

type Style = 'names' | 'keys';

/**
 * `count` LUN creations spread round-robin over the SVMs and the three service levels: written by name
 * (`svm: {name, cluster: {name}}`, `performance_service_level: {name}`), as operators write them, or with
 * the keys a caller would have looked up itself.
 */
function lunBatch(
  style: Style,
  count: number,
  namePrefix: string,
  svms: readonly Svm[],
  pslKeys: Readonly<Record<string, string>>,
): RequestInput[] {
  return Array.from({ length: count }, (_, index) => {
    const svm = svms[index % svms.length] ?? svms[0];
    const psl = serviceLevels[index % serviceLevels.length] ?? 'Value';
    const pslKey = pslKeys[psl];
    if (!svm || !pslKey) throw new Error(`no SVM or no key for service level "${psl}"`);
    const references =
      style === 'names'
        ? {
            svm: { name: svm.name, cluster: { name: svm.cluster } },
            performance_service_level: { name: psl },
          }
        : { svm: { key: svm.key }, performance_service_level: { key: pslKey } };
    return lunRequest(`${namePrefix}_${index}`, { body: references });
  });
}

/** GETs of the lookup collections (not of single objects, not job polls), by collection. */
function lookupGets(stats: SimulatorCounts): Record<string, number> {
  const byCollection: Record<string, number> = {};
  for (const collection of lookupCollections) {
    const byStatus = stats.requests[`GET ${collection}`];
    if (!byStatus) continue;
    byCollection[collection] = Object.values(byStatus).reduce((sum, count) => sum + count, 0);
  }
  return byCollection;
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

interface RunResult {
  style: Style;
  requestsPerSecond: number;
  elapsedMs: number;
  outcomes: Record<string, number>;
  /** Lookup GETs of the warm-up batch (every SVM and service level once: the cold cache). */
  warmUpLookupGets: number;
  lookupGets: number;
  lookupGetsPerRequest: number;
  lookupGetsByCollection: Record<string, number>;
  httpCallsPerRequest: number;
  httpCallsByRoute: SimulatorCounts['requests'];
  commandsPerRequest: number;
}

/**
 * One batch on a pipeline of its own (a fresh key prefix and fresh worker processes): first a warm-up
 * batch naming every SVM with every service level, then the timed batch, whose lookups are the warm ones.
 */
async function runBatch(
  style: Style,
  context: ScenarioContext,
  simulator: SimulatorProcess,
  sizes: NamesSizes,
  svms: readonly Svm[],
  pslKeys: Readonly<Record<string, string>>,
  settings: { limits: { maxConcurrent: number; maxPerSecond: number }; poll: Record<string, number> },
): Promise<RunResult> {
  const { redis } = context;
  const pipeline = await BenchPipeline.start({
    redisUrl: redis.url,
    simulatorUrl: simulator.url,
    workers: context.workers,
    concurrency,
    limits: settings.limits,
    poll: settings.poll,
    workerNodeArgs: profilingArgs(context.cpuProfileDir),
  });
  const stream = await CompletionStream.start(redis.url, pipeline.eventsKey);
  try {
    // Warm-up: every SVM and every service level (round-robin over both, so svms × 3 requests name each).
    const warmUpCount = svms.length * serviceLevels.length;
    await simulator.reset();
    const warmUp = lunBatch(style, warmUpCount, `${style}_warm`, svms, pslKeys);
    await pipeline.submit(warmUp);
    await stream.waitForCount(warmUpCount, 120_000);
    const warmUpLookupGets = sum(lookupGets(await simulator.stats()));

    // The timed batch.
    await simulator.reset();
    const commandsBefore = await commandCounts(redis.admin);
    const startedMs = Date.now();
    await pipeline.submit(lunBatch(style, sizes.requests, `${style}_timed`, svms, pslKeys));
    await stream.waitForCount(warmUpCount + sizes.requests, 600_000);
    const last = stream.completed[stream.completed.length - 1];
    const elapsedMs = (last?.streamMs ?? Date.now()) - startedMs;
    const commands = commandDelta(commandsBefore, await commandCounts(redis.admin));
    const stats = await simulator.stats();
    const outcomes: Record<string, number> = {};
    for (const completed of stream.completed.slice(warmUpCount)) {
      outcomes[completed.outcome] = (outcomes[completed.outcome] ?? 0) + 1;
    }
    const byCollection = lookupGets(stats);
    const gets = sum(byCollection);
    return {
      style,
      requestsPerSecond: round((sizes.requests / elapsedMs) * 1000, 1),
      elapsedMs: Math.round(elapsedMs),
      outcomes,
      warmUpLookupGets,
      lookupGets: gets,
      lookupGetsPerRequest: round(gets / sizes.requests, 4),
      lookupGetsByCollection: byCollection,
      httpCallsPerRequest: round(httpCalls(stats) / sizes.requests, 3),
      httpCallsByRoute: stats.requests,
      commandsPerRequest: round(totalCalls(commands) / sizes.requests),
    };
  } finally {
    await stream.close();
    await pipeline.close();
  }
}

/**
 * Scenario 5: provisioning by name. The same batch of LUN creations (spread over 20 SVMs and the three
 * service levels) written by name and written with keys, each on a fresh pipeline against the same
 * simulator: how many lookups the worker's resolver makes per request once its cache is warm, and what
 * resolving costs in requests/s.
 */
export async function runNames(
  context: ScenarioContext,
  sizes: NamesSizes = namesSizes(context.quick),
): Promise<ScenarioOutcome> {
  const simulator = await SimulatorProcess.start();
  try {
    await simulator.setScenario({ rules: [{ match: { method: 'POST' }, job: { durationMs: 0 } }] });
    const svms = await prepareSvms(simulator, sizes.svms);
    const pslKeys = seedInventoryKeys(1).performanceServiceLevels;
    const poll = { initialDelayMs: 200, multiplier: 1.5, maxDelayMs: 2_000, jitter: 0 };
    const limits = { maxConcurrent: concurrency * context.workers, maxPerSecond: 10_000 };
    const settings = {
      ...sizes,
      serviceLevels: serviceLevels.length,
      workers: context.workers,
      concurrency,
      limits,
      poll,
      simulatorJobDurationMs: 0,
    };
    const keys = await runBatch('keys', context, simulator, sizes, svms, pslKeys, { limits, poll });
    const names = await runBatch('names', context, simulator, sizes, svms, pslKeys, { limits, poll });

    const ratio = round(names.requestsPerSecond / keys.requestsPerSecond, 3);
    const allSucceeded = (run: RunResult) => (run.outcomes.succeeded ?? 0) === sizes.requests;
    const outcomeText = (run: RunResult) =>
      Object.entries(run.outcomes)
        .map(([outcome, count]) => `${outcome} ${count}`)
        .join(', ');
    const targets: TargetCheck[] = [
      {
        id: 'N1',
        target: '≤ 0.01 AIQUM lookup GETs per request by name, once warm; every request succeeded',
        measured: `${names.lookupGetsPerRequest} (${names.lookupGets} GETs for ${sizes.requests} requests; warm-up ${names.warmUpLookupGets}); ${outcomeText(names)}`,
        met: names.lookupGetsPerRequest <= 0.01 && allSucceeded(names),
      },
      {
        id: 'N2',
        target: 'requests/s by name ≥ 0.9 × by keys, same batch, same run',
        measured: `${names.requestsPerSecond} by name, ${keys.requestsPerSecond} by keys: ${ratio} ×`,
        met: ratio >= 0.9 && allSucceeded(names) && allSucceeded(keys),
      },
    ];
    const row = (measure: string, byKeys: number | string, byName: number | string, note = '') => [
      measure,
      byKeys,
      byName,
      note,
    ];
    return {
      settings,
      results: { keys, names, ratio },
      tables: [
        {
          title: `By name vs by keys: ${sizes.requests.toLocaleString('en-US')} LUN creations on ${sizes.svms} SVMs and ${serviceLevels.length} service levels (${context.workers} worker processes × ${concurrency}, jobs finished at once)`,
          header: ['measure', 'by keys', 'by name', 'ratio'],
          rows: [
            row('requests / s', keys.requestsPerSecond, names.requestsPerSecond, `${ratio} ×`),
            row('elapsed ms', keys.elapsedMs, names.elapsedMs),
            row('outcomes', outcomeText(keys), outcomeText(names)),
            row(
              'AIQUM lookup GETs, warm-up batch (cold cache)',
              keys.warmUpLookupGets,
              names.warmUpLookupGets,
            ),
            row('AIQUM lookup GETs, timed batch', keys.lookupGets, names.lookupGets),
            row('AIQUM lookup GETs / request', keys.lookupGetsPerRequest, names.lookupGetsPerRequest),
            row('HTTP calls to AIQUM / request', keys.httpCallsPerRequest, names.httpCallsPerRequest),
            row('Redis work (commandstats) / request', keys.commandsPerRequest, names.commandsPerRequest),
          ],
        },
        {
          title: 'Lookup GETs by collection (timed batch by name)',
          header: ['collection', 'GETs'],
          rows: Object.entries(names.lookupGetsByCollection),
        },
      ],
      targets,
      summary: {
        requests: sizes.requests,
        requestsPerSecondByKeys: keys.requestsPerSecond,
        requestsPerSecondByName: names.requestsPerSecond,
        ratio,
        lookupGetsPerRequest: names.lookupGetsPerRequest,
        succeededByName: names.outcomes.succeeded ?? 0,
        succeededByKeys: keys.outcomes.succeeded ?? 0,
      },
    };
  } finally {
    await simulator.close();
  }
}
