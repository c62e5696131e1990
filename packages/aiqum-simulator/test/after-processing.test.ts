import { describe, expect, it } from 'vitest';
import { type ScenarioInput, startSimulator } from '../src/index.js';
import { call, lunBody, obj, records, waitForJob } from './helpers.js';

describe('faults after processing (faults.afterProcessing)', () => {
  it('answers a processed write 502 after it created its job, and records it in the ground truth', async () => {
    await using sim = await startSimulator({
      tls: false,
      scenario: {
        rules: [{ job: { durationMs: 20 }, faults: { afterProcessing: [{ status: 502, rate: 1 }] } }],
      },
    });
    const answer = await call(sim, 'POST', '/api/storage-provider/luns', {
      body: lunBody('after_502'),
      headers: { 'x-correlation-id': 'corr-after' },
    });
    expect(answer.status).toBe(502);
    expect(obj(answer.body).error).toEqual({ code: expect.any(String), message: expect.any(String) });
    expect(answer.body).not.toHaveProperty('job');

    const truth = obj((await call(sim, 'GET', '/_sim/jobs?correlation_id=corr-after')).body);
    expect(truth.writeFaults).toEqual([
      { fault: '502', processed: true, status: 202, at: expect.any(String) },
    ]);
    const [job] = records(truth);
    expect(job).toMatchObject({ processed: true, responseFault: '502', plannedOutcome: 'NORMAL' });
    expect(sim.stats().submissions['corr-after']).toBe(1);
    expect(sim.stats().faults).toEqual({ '502-after-processing': 1 });
    expect(sim.stats().requests['POST /api/storage-provider/luns']).toEqual({ '502': 1 });
    // The write took effect: its job runs to its end and the LUN appears.
    expect(await waitForJob(sim, String(job?.id))).toMatchObject({ state: 'completed', status: 'normal' });
    expect(records((await call(sim, 'GET', '/api/storage-provider/luns?name=*after_502')).body)).toHaveLength(
      1,
    );
    // Reads match the rule too, but are no writes: they answer as usual.
    expect((await call(sim, 'GET', '/api/storage-provider/luns')).status).toBe(200);
  });

  it('validates the list: 500, 502 and 504 only, rates adding up to at most 1', async () => {
    await using sim = await startSimulator({ tls: false });
    const refused = async (afterProcessing: unknown) =>
      (await call(sim, 'PUT', '/_sim/scenario', { body: { rules: [{ faults: { afterProcessing } }] } }))
        .status;
    expect(await refused([{ status: 503, rate: 1 }])).toBe(400);
    expect(await refused([{ status: 502, rate: 1.5 }])).toBe(400);
    expect(
      await refused([
        { status: 500, rate: 0.6 },
        { status: 504, rate: 0.6 },
      ]),
    ).toBe(400);
    expect(await refused([{ status: 504, rate: 0.5 }])).toBe(200);
  });
});

/** What each of 40 writes was answered, for a seed and a rule's faults. */
async function answers(
  seed: number,
  faults: NonNullable<ScenarioInput['rules']>[number]['faults'],
): Promise<number[]> {
  await using sim = await startSimulator({
    tls: false,
    seed,
    scenario: { rules: [{ match: { method: 'POST' }, job: { durationMs: 5 }, faults }] },
  });
  const seen: number[] = [];
  for (let i = 0; i < 40; i++) {
    seen.push(
      (await call(sim, 'POST', '/api/storage-provider/luns', { body: lunBody(`draw_${i}`, {}, seed) }))
        .status,
    );
  }
  return seen;
}

describe('draws of faults after processing', () => {
  it('are the same for the same seed, and leave the other draws as they were when the list is empty', async () => {
    const statuses = [{ status: 503, rate: 0.3 }];
    const mixed = { statuses, afterProcessing: [{ status: 504 as const, rate: 0.3 }] };
    const first = await answers(5, mixed);
    expect(await answers(5, mixed)).toEqual(first);
    expect(first).toContain(504);
    expect(first).toContain(503);
    expect(first).toContain(202);
    // A rule without faults after processing draws as before they existed: these are the answers the
    // simulator gave for this seed and rule before the change that added them (commit be6457f).
    const [a, b] = [503, 202];
    const before = [
      a,
      a,
      b,
      b,
      b,
      b,
      b,
      b,
      b,
      b,
      b,
      b,
      b,
      a,
      b,
      b,
      b,
      a,
      a,
      b,
      b,
      b,
      b,
      a,
      a,
      b,
      a,
      b,
      b,
      b,
      b,
      a,
      b,
      b,
      b,
      b,
      b,
      b,
      b,
      b,
    ];
    expect(await answers(5, { statuses })).toEqual(before);
  });
});
