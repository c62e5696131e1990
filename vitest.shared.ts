import { defineConfig } from 'vitest/config';

/** Tests import workspace packages from their TypeScript sources, never from a stale `dist`. */
const sourceCondition = '@aiqum-jobs/source';

export const packageTestConfig = defineConfig({
  resolve: { conditions: [sourceCondition, 'node', 'import', 'default'] },
  ssr: { resolve: { conditions: [sourceCondition, 'node', 'import', 'default'] } },
  test: { include: ['test/**/*.test.ts'], testTimeout: 20_000, hookTimeout: 30_000 },
});
