/**
 * Resolves when the waker passed to `register` is called, after `ms`, or when `signal` aborts, whichever
 * comes first. `register` returns its own clean-up. One timer per waiting request, none per job.
 */
export function waitUntil(
  ms: number,
  signal: AbortSignal,
  register: (wake: () => void) => () => void,
): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    let unregister: () => void = () => {};
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      unregister();
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    unregister = register(done);
  });
}
