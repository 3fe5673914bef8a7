import { defineConfig } from 'vitest/config';

// The emulator's own tests, for `npm test` in this folder; the connector's `npm test` runs them too.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
