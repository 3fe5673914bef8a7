import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// SWC (not esbuild) compiles the tests so that NestJS gets the decorator metadata its injector reads.
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  // Workspace packages resolve to their TypeScript source (see tsconfig.json's customConditions).
  ssr: { resolve: { conditions: ['@ai-call-hubspot-connector/source'] } },
  test: {
    include: ['src/**/*.spec.ts', 'console-ui/src/**/*.spec.ts', 'test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    // Load tests run afterwards, alone (vitest.load.config.ts).
    exclude: ['test/load/**', 'node_modules/**'],
    environment: 'node',
    // Under TEST_STORE=postgres, drops the run's test databases at the end.
    globalSetup: ['test/support/postgres-teardown.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default'],
  },
});
