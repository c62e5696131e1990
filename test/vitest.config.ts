import { defineConfig, mergeConfig } from 'vitest/config';
import { packageTestConfig } from '../vitest.shared.js';

// System tests start real processes: a batch of hundreds of requests takes longer than a unit test.
export default mergeConfig(
  packageTestConfig,
  defineConfig({ test: { include: ['system/**/*.test.ts'], testTimeout: 120_000 } }),
);
