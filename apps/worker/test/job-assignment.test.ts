import { describe, expect, it } from 'vitest';
import { possibleJobsOfWrite } from '../src/job-assignment.js';

/** `pairs[write]` lists the jobs that write could have started; write 0 is the one reconciled. */
const options = (pairs: number[][], jobCount: number) =>
  possibleJobsOfWrite(pairs.length, jobCount, (write, job) => pairs[write]?.includes(job) ?? false);

describe('possibleJobsOfWrite', () => {
  it('proves a failed job is the write’s when the only other write in doubt made an object of its own', () => {
    // Job 0 failed (anyone's), job 1 made the other write's object (only it could have).
    expect(options([[0], [0, 1]], 2)).toEqual([0]);
  });

  it('gives none as the only option when no job could be the write’s', () => {
    expect(options([[], [0]], 1)).toEqual(['none']);
  });

  it('leaves two failed jobs and two writes in doubt unsettled', () => {
    expect(
      options(
        [
          [0, 1],
          [0, 1],
        ],
        2,
      ),
    ).toEqual([0, 1]);
  });

  it('leaves a failed job unsettled when another write could have started it instead of nothing', () => {
    expect(options([[0], [0]], 1)).toEqual(['none', 0]);
    expect(options([[0], [0, 1], [1]], 2)).toEqual(['none', 0]);
  });

  it('gives the write the job no other write could have started, and the others theirs', () => {
    expect(options([[0, 1], [1]], 2)).toEqual([0]);
    // Jobs 1 and 2 need both other writes, so job 0 is the write's.
    expect(
      options(
        [
          [0, 1, 2],
          [1, 2],
          [1, 2],
        ],
        3,
      ),
    ).toEqual([0]);
  });

  it('finds no option when a job no write in doubt could have started is listed', () => {
    expect(options([[0], []], 2)).toEqual([]);
  });
});
