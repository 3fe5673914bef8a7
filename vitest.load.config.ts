import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// Load tests: bounds on answer times while the connector is flooded. One file at a time, after the main suite, so
// that no other test shares the CPU (see test/load/).
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  // Workspace packages resolve to their TypeScript source (see tsconfig.json's customConditions).
  ssr: { resolve: { conditions: ['@ai-call-hubspot-connector/source'] } },
  test: {
    include: ['test/load/**/*.test.ts'],
    environment: 'node',
    // Under TEST_STORE=postgres, drops the run's test databases at the end.
    globalSetup: ['test/support/postgres-teardown.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 30_000,
    reporters: ['default'],
  },
});
