import { fileURLToPath } from 'node:url';

// The same depth from bench/src (vitest) and bench/dist (node): the repository root is two levels up.
const repoFile = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

/** Built entry points the bench runs as processes of their own. */
export const bins = {
  worker: repoFile('apps/worker/bin/aiqum-worker.js'),
  simulator: repoFile('packages/aiqum-simulator/bin/aiqum-simulator.js'),
};

/** Where results are written: `bench/results/`. */
export const resultsDir = repoFile('bench/results');
