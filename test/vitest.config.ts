import { defineConfig, mergeConfig } from 'vitest/config';
import { packageTestConfig } from '../vitest.shared.js';

// System tests start real processes; run their files one at a time so they do not compete for 2 cores.
export default mergeConfig(
  packageTestConfig,
  defineConfig({ test: { include: ['system/**/*.test.ts'], fileParallelism: false, testTimeout: 120_000 } }),
);
