import { z } from 'zod';

/** A Redis stream entry id (`<ms>-<seq>`, or `<ms>` alone): a cursor into the events stream. */
export const streamIdSchema = z
  .string()
  .regex(/^\d{1,20}(-\d{1,20})?$/, 'must be a stream entry id such as 1712345678901-0');

/** An entry id as two numbers; the sequence is 64-bit, so both are BigInts. */
function parts(id: string): [bigint, bigint] {
  const [ms = '0', seq = '0'] = id.split('-');
  return [BigInt(ms), BigInt(seq)];
}

/** Negative when `a` comes before `b` in a stream, 0 when equal, positive after. */
export function compareStreamIds(a: string, b: string): number {
  const [msA, seqA] = parts(a);
  const [msB, seqB] = parts(b);
  if (msA !== msB) return msA < msB ? -1 : 1;
  if (seqA !== seqB) return seqA < seqB ? -1 : 1;
  return 0;
}

const maxSequence = 2n ** 64n - 1n;

/** The smallest id after `id`. */
export function nextStreamId(id: string): string {
  const [ms, seq] = parts(id);
  return seq === maxSequence ? `${ms + 1n}-0` : `${ms}-${seq + 1n}`;
}

/** The millisecond part of an id: when the entry was added. */
export function streamIdTime(id: string): number {
  return Number(parts(id)[0]);
}
