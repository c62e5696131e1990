import { describe, expect, it } from 'vitest';
import { clockOffsetOf, submittedSpan } from '../src/clock-offset.js';

describe('submittedSpan', () => {
  it('reads a submit time with milliseconds as an instant', () => {
    expect(submittedSpan('2019-11-15T09:57:22.123+00:00')).toEqual({
      from: 1573811842123,
      to: 1573811842123,
    });
  });

  it('reads a time in whole seconds as the whole second, since the server may keep no milliseconds', () => {
    for (const time of [
      '2019-11-15T09:57:22+00:00',
      '2019-11-15T09:57:22.000+00:00',
      '2019-11-15T09:57:22Z',
    ]) {
      expect(submittedSpan(time), time).toEqual({ from: 1573811842000, to: 1573811842999 });
    }
  });

  it('gives nothing for a time that does not parse, or none', () => {
    expect(submittedSpan('yesterday')).toBeUndefined();
    expect(submittedSpan(undefined)).toBeUndefined();
  });
});

describe('clockOffsetOf', () => {
  const answered = (at: number, from: number, to: number) => ({
    submitted: { from: at, to: at },
    owner: { requestId: 'r', sent: { from, to } },
  });

  it('bounds the offset by every answered job, with room for drift', () => {
    // AIQUM's clock is 1,000 ms ahead: one job sent at [0, 300] says [700, 1,300], another at [5,000,
    // 5,100] says [900, 1,000]; 100 ms on each side for drift.
    expect(clockOffsetOf([answered(1_000, 0, 300), answered(6_000, 5_000, 5_100)], 5_000)).toEqual({
      min: 800,
      max: 1_100,
    });
  });

  it('keeps the measure within the configured skew', () => {
    expect(clockOffsetOf([answered(1_000, 0, 2_000)], 500)).toEqual({ min: -500, max: 500 });
  });

  it('falls back to the configured skew with no answered job, or jobs that contradict each other', () => {
    expect(clockOffsetOf([], 5_000)).toEqual({ min: -5_000, max: 5_000 });
    expect(
      clockOffsetOf([{ submitted: { from: 10, to: 10 }, owner: { requestId: 'reconciled' } }], 5_000),
    ).toEqual({
      min: -5_000,
      max: 5_000,
    });
    // One job says AIQUM is 2 s ahead, the other 2 s behind (its clock was set back meanwhile).
    expect(clockOffsetOf([answered(2_000, 0, 10), answered(8_000, 10_000, 10_010)], 5_000)).toEqual({
      min: -5_000,
      max: 5_000,
    });
  });
});
