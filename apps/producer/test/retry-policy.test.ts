import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auth, type Harness, labLun, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const getSvms = { target: 'lab', method: 'GET', path: '/api/datacenter/svm/svms' };

describe('a retry policy at submit time', () => {
  let before: Awaited<ReturnType<Harness['footprint']>>;
  beforeEach(async () => {
    before = await h.footprint();
  });

  const refused: Array<[string, unknown, string, RegExp]> = [
    [
      'timed_out (the deadline covers every attempt)',
      { ...labLun, retry: { outcomes: ['failed', 'timed_out'] } },
      'retry.outcomes[1]',
      /deadline covers every attempt/,
    ],
    ['cancelled', { ...labLun, retry: { outcomes: ['cancelled'] } }, 'retry.outcomes[0]', /never retried/],
    ['succeeded', { ...labLun, retry: { outcomes: ['succeeded'] } }, 'retry.outcomes[0]', /succeeded/],
    ['warning', { ...labLun, retry: { outcomes: ['warning'] } }, 'retry.outcomes[0]', /did what was asked/],
    [
      'unknown for a write',
      { ...labLun, retry: { outcomes: ['unknown'] } },
      'retry.outcomes[0]',
      /only for GET: a write whose outcome is unknown may have happened/,
    ],
    [
      'partial_failure for a POST',
      { ...labLun, retry: { outcomes: ['partial_failure'] } },
      'retry.outcomes[0]',
      /not retried for POST/,
    ],
    ['no outcome', { ...labLun, retry: { outcomes: [] } }, 'retry.outcomes', /at least one outcome/],
    [
      'an outcome that does not exist',
      { ...labLun, retry: { outcomes: ['broken'] } },
      'retry.outcomes[0]',
      /./,
    ],
    ['0 attempts', { ...labLun, retry: { maxAttempts: 0 } }, 'retry.maxAttempts', /./],
    ['11 attempts', { ...labLun, retry: { maxAttempts: 11 } }, 'retry.maxAttempts', /./],
    [
      'a backoff below 100 ms',
      { ...labLun, retry: { backoff: { initialDelayMs: 10 } } },
      'retry.backoff.initialDelayMs',
      /./,
    ],
    [
      'a longest wait shorter than the first',
      { ...labLun, retry: { backoff: { initialDelayMs: 5_000, maxDelayMs: 1_000 } } },
      'retry.backoff.maxDelayMs',
      /at least backoff.initialDelayMs/,
    ],
    ['an unknown field', { ...labLun, retry: { onErrors: ['x'] } }, 'retry', /./],
  ];

  it.each(refused)(
    'refuses %s with 400 naming the field, and stores nothing',
    async (_name, body, path, message) => {
      const response = await h.server.inject({
        method: 'POST',
        url: '/v1/requests',
        headers: auth,
        payload: body as object,
      });
      expect(response.statusCode).toBe(400);
      const error = response.json().error;
      expect(error.code).toBe('VALIDATION_FAILED');
      const issue = error.issues.find((candidate: { path: string }) => candidate.path === path);
      expect(issue?.message).toMatch(message);
      expect(await h.footprint()).toEqual(before);
    },
  );

  it('keeps a valid policy, its defaults filled in, in the request', async () => {
    const response = await h.server.inject({
      method: 'POST',
      url: '/v1/requests',
      headers: auth,
      payload: { ...labLun, retry: { maxAttempts: 4 } },
    });
    expect(response.statusCode).toBe(202);
    const view = await h.server.inject({
      method: 'GET',
      url: `/v1/requests/${response.json().requestId}`,
      headers: auth,
    });
    expect(view.json().retry).toEqual({
      outcomes: ['failed'],
      maxAttempts: 4,
      backoff: { initialDelayMs: 1_000, multiplier: 2, maxDelayMs: 60_000 },
    });
  });

  it('lets a read retry unknown, and a batch request carry a policy of its own', async () => {
    const response = await h.server.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: auth,
      payload: {
        requests: [{ ...getSvms, retry: { outcomes: ['failed', 'unknown'] } }, labLun],
      },
    });
    expect(response.statusCode).toBe(202);
    const refusedBatch = await h.server.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: auth,
      payload: { requests: [labLun, { ...labLun, retry: { outcomes: ['unknown'] } }] },
    });
    expect(refusedBatch.statusCode).toBe(400);
    expect(refusedBatch.json().error.issues.map((issue: { path: string }) => issue.path)).toContain(
      'requests[1].retry.outcomes[0]',
    );
  });
});
