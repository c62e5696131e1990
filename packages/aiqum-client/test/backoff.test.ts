import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../src/backoff.js';

const doubling = { initialMs: 100, multiplier: 2, maxMs: 1_000, jitter: 0 };

describe('backoffDelayMs', () => {
  it('grows by the multiplier from the initial wait up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5].map((attempt) => backoffDelayMs(doubling, attempt, 0.7))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
  });

  it('only shortens a wait with jitter, by at most its fraction', () => {
    const half = { ...doubling, jitter: 0.5 };
    expect(backoffDelayMs(half, 2, 0)).toBe(400);
    expect(backoffDelayMs(half, 2, 0.5)).toBe(300);
    expect(backoffDelayMs(half, 2, 0.999)).toBe(200);
    expect(backoffDelayMs({ ...doubling, jitter: 1 }, 9, 0.75)).toBe(250);
  });
});
