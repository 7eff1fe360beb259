import { defineConfig } from 'vitest/config';

// One run covers unit, integration and browser tests. The global setup starts (or reuses)
// FerretDB, local-kms and moto on 127.0.0.1 and exports their endpoints to every worker.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
