import { describe, expect, it } from 'vitest';
import { batchInputSchema, maxInputDepth, nestsWithin } from '../src/index.js';

const nested = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);

describe('nestsWithin', () => {
  it('counts levels of arrays and objects; scalars add none', () => {
    expect(nestsWithin('text', 0)).toBe(true);
    expect(nestsWithin({}, 0)).toBe(false);
    expect(nestsWithin({ a: [1, { b: null }] }, 3)).toBe(true);
    expect(nestsWithin({ a: [1, { b: {} }] }, 3)).toBe(false);
    expect(nestsWithin(nested(maxInputDepth), maxInputDepth)).toBe(true);
    expect(nestsWithin(nested(maxInputDepth + 1), maxInputDepth)).toBe(false);
  });

  it('answers for JSON nested far deeper than the recursive schemas can parse', () => {
    const deep = nested(200_000);
    expect(nestsWithin(deep, maxInputDepth)).toBe(false);
    // What the check protects against: the schema itself overflows the stack on such input.
    expect(() =>
      batchInputSchema.safeParse({ requests: [{ method: 'POST', path: '/api/x', body: deep }] }),
    ).toThrow(RangeError);
  });
});
