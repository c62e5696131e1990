import { type ChildProcess, spawn } from 'node:child_process';
import { lunRequest, redisTimeMs, waitUntil } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, recordingDispatcher, startHarness } from './harness.js';

/** Every poll comes this long after the one before (no growth, no jitter). */
const pollEveryMs = 600;
/** How far a poll may start from its due time, by Redis's clock. */
const toleranceMs = 100;

let h: Harness;
/**
 * `redis-cli monitor`: every command Redis ran, with Redis's time, the due times as scripts wrote them among
 * them. A process of its own, so that reading them costs this process (where the workers run) nothing.
 */
let monitor: ChildProcess;
let monitored = '';
/** Redis's clock minus this test's: the calls' send times are converted with it. */
let redisOffsetMs = 0;

beforeAll(async () => {
  h = await startHarness(
    [
      {
        name: 'lab',
        simulator: { scenario: { rules: [{ match: { method: 'POST' }, job: { durationMs: 2_000 } }] } },
        target: {
          poll: {
            initialDelayMs: pollEveryMs,
            multiplier: 1,
            maxDelayMs: pollEveryMs,
            jitter: 0,
            retryAfterMinMs: 100,
            retryAfterMaxMs: 20_000,
          },
        },
      },
    ],
    // MONITOR sees only this test's workers.
    { ownRedis: true },
  );
  // The reading with the shortest round trip is the closest.
  let bestRoundTripMs = Number.POSITIVE_INFINITY;
  for (let reading = 0; reading < 10; reading += 1) {
    const before = Date.now();
    const redisNow = await redisTimeMs(h.redis);
    const after = Date.now();
    if (after - before < bestRoundTripMs) {
      bestRoundTripMs = after - before;
      redisOffsetMs = redisNow - (before + after) / 2;
    }
  }
  if (h.config.redis.kind !== 'server') throw new Error('the test needs a Redis server');
  monitor = spawn('redis-cli', ['-u', h.config.redis.url, 'monitor'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  monitor.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    monitored += chunk;
  });
  await waitUntil(() => monitored.startsWith('OK'), { what: 'redis-cli monitor to start' });
});
afterAll(async () => {
  monitor?.kill();
  await h?.close();
});

/**
 * The polls of a request as Redis ran them, in order: when each was claimed (the ZADD that re-scores a
 * poll as it starts, after the ZRANGEBYSCORE that found it due) and the due time written for it before
 * (the ZADD that scheduled it, after the ZRANGE that reads the set's head), with when that was written.
 * Scripts run whole, so no other command comes between a script's two; every time is Redis's.
 */
function claimedPolls(dueKey: string, requestId: string) {
  // Lines like: 1796300003.755213 [0 lua] "ZADD" "key" "score" "member"
  const commands = monitored.split('\n').flatMap((line) => {
    const time = /^(\d+\.\d+) \[/.exec(line)?.[1];
    if (time === undefined) return [];
    const args = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => match[1] ?? '');
    return [{ atMs: Number(time) * 1_000, args }];
  });
  const polls: Array<{ claimedAtMs: number; writtenAtMs: number; dueAtMs: number }> = [];
  let scheduled: { writtenAtMs: number; dueAtMs: number } | undefined;
  let previous = '';
  for (const { atMs, args } of commands) {
    const [command = '', key, score, member] = args.map(String);
    if (key !== dueKey) continue;
    const name = command.toUpperCase();
    if (name === 'ZADD' && member === requestId && previous === 'ZRANGE') {
      scheduled = { writtenAtMs: atMs, dueAtMs: Number(score) };
    }
    if (name === 'ZADD' && member === requestId && previous === 'ZRANGEBYSCORE' && scheduled) {
      polls.push({ claimedAtMs: atMs, ...scheduled });
    }
    previous = name;
  }
  return polls;
}

/**
 * Runs one request through a worker whose clock is `skewMs` off; answers each poll with its due time, when
 * Redis's script claimed it and when it was sent to the simulator (both by Redis's clock).
 */
async function pollsOfWorkerWithSkew(skewMs: number) {
  const calls = recordingDispatcher();
  const worker = await h.startWorker({}, { now: () => Date.now() + skewMs, dispatcher: calls.dispatcher });
  const [spec] = await h.enqueue([
    { target: 'lab', ...lunRequest(`skew_${skewMs < 0 ? 'behind' : 'ahead'}`) },
  ]);
  if (!spec) throw new Error('nothing enqueued');
  // Polled 30 s off, the request would take 30 s longer than its job, or be polled at once over and over.
  await waitUntil(async () => (await h.completed()).some((event) => event.requestId === spec.requestId), {
    timeoutMs: 20_000,
    what: 'the request to complete',
  });
  await worker.close();
  const sent = calls.sent.filter((call) => call.method === 'GET' && call.path.includes('/jobs/'));
  const claimed = claimedPolls(h.keys.targetDue('lab'), spec.requestId);
  expect(sent).toHaveLength(claimed.length);
  return claimed.map((poll, index) => ({
    ...poll,
    sentAtMs: (sent[index]?.at ?? Number.NaN) + redisOffsetMs,
  }));
}

describe('workers whose clocks are off', () => {
  it.each([
    ['30 s ahead', 30_000],
    ['30 s behind', -30_000],
  ])('poll at the due time by Redis clock with a worker %s', async (_name, skewMs) => {
    const polls = await pollsOfWorkerWithSkew(skewMs);
    // A 2 s job polled every 600 ms: its end is seen by the fourth poll.
    expect(polls.length).toBeGreaterThanOrEqual(3);
    for (const poll of polls) {
      // Written as Redis's time plus the poll interval (the worker's own clock plays no part)...
      expect(Math.abs(poll.dueAtMs - poll.writtenAtMs - pollEveryMs)).toBeLessThan(toleranceMs);
      // ...and polled then: claimed by Redis's script, and received by the simulator.
      expect(Math.abs(poll.claimedAtMs - poll.dueAtMs)).toBeLessThan(toleranceMs);
      expect(Math.abs(poll.sentAtMs - poll.dueAtMs)).toBeLessThan(toleranceMs);
    }
  });
});
