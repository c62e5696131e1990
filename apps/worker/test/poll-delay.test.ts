import { describe, expect, it } from 'vitest';
import { pollDelayMs } from '../src/poll-delay.js';
import { testPollPolicy } from './harness.js';

const policy = { ...testPollPolicy, initialDelayMs: 1_000, multiplier: 2, maxDelayMs: 10_000, jitter: 0.5 };

describe('pollDelayMs', () => {
  it('backs off exponentially from the initial delay up to the maximum', () => {
    const delays = [0, 1, 2, 3, 4, 5].map((polls) => pollDelayMs({ policy, polls, ontap: false, random: 0 }));
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });

  it('jitters downwards only, so the maximum is never exceeded', () => {
    expect(pollDelayMs({ policy, polls: 1, ontap: false, random: 0.999 })).toBe(1_001);
    expect(pollDelayMs({ policy, polls: 9, ontap: false, random: 0.5 })).toBe(7_500);
  });

  it('honours Retry-After between the policy floor and ceiling', () => {
    const bounded = { ...policy, retryAfterMinMs: 500, retryAfterMaxMs: 5_000 };
    expect(pollDelayMs({ policy: bounded, polls: 0, retryAfterMs: 2_000, ontap: false, random: 0.9 })).toBe(
      2_000,
    );
    expect(pollDelayMs({ policy: bounded, polls: 0, retryAfterMs: 0, ontap: false, random: 0 })).toBe(500);
    expect(pollDelayMs({ policy: bounded, polls: 0, retryAfterMs: 3_600_000, ontap: false, random: 0 })).toBe(
      5_000,
    );
  });

  it('keeps ONTAP jobs polled well inside their 300 s purge window: at least every 60 s (docs/API.md)', () => {
    const slow = { ...policy, maxDelayMs: 600_000, retryAfterMaxMs: 600_000 };
    // The documented value, not the constant under test: a changed cap must fail here.
    expect(pollDelayMs({ policy: slow, polls: 30, ontap: true, random: 0 })).toBe(60_000);
    expect(pollDelayMs({ policy: slow, polls: 0, retryAfterMs: 400_000, ontap: true, random: 0 })).toBe(
      60_000,
    );
    expect(pollDelayMs({ policy: slow, polls: 30, ontap: false, random: 0 })).toBe(600_000);
  });
});
