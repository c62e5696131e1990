/**
 * Which job a write in doubt started, if any, told apart from the other writes in doubt at the same time.
 *
 * Every job of that time that no answered write owns was started by one of the writes in doubt, and each
 * write started one job at most: an assignment gives each such job a write that could have started it. The
 * write's own job is known when every assignment gives it the same one, or none. `couldStart(write, job)`
 * says which pairs are possible; write 0 is the one reconciled.
 *
 * Returns the write's options that some assignment allows: a job's index, or `none`. One option is a
 * proof; more is a doubt; none means what was found contradicts the premise (a job another client started).
 */
export function possibleJobsOfWrite(
  writeCount: number,
  jobCount: number,
  couldStart: (write: number, job: number) => boolean,
): Array<number | 'none'> {
  const options: Array<number | 'none'> = ['none'];
  for (let job = 0; job < jobCount; job += 1) if (couldStart(0, job)) options.push(job);
  return options.filter((option) => everyJobAssigned(writeCount, jobCount, couldStart, option));
}

/**
 * Whether every job but `taken` can be given its own write among writes 1..n-1 (write 0 took `taken`), by
 * augmenting paths: the sets are the writes and jobs of one time in doubt, a handful each.
 */
function everyJobAssigned(
  writeCount: number,
  jobCount: number,
  couldStart: (write: number, job: number) => boolean,
  taken: number | 'none',
): boolean {
  const jobOfWrite = new Map<number, number>();
  const augment = (job: number, visited: Set<number>): boolean => {
    for (let write = 1; write < writeCount; write += 1) {
      if (visited.has(write) || !couldStart(write, job)) continue;
      visited.add(write);
      const held = jobOfWrite.get(write);
      if (held === undefined || augment(held, visited)) {
        jobOfWrite.set(write, job);
        return true;
      }
    }
    return false;
  };
  for (let job = 0; job < jobCount; job += 1) {
    if (job === taken) continue;
    if (!augment(job, new Set())) return false;
  }
  return true;
}
