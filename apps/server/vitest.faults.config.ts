import { defineConfig } from 'vitest/config';

// Fault injection: kills, restarts and lost connections, each ending with the data checked. Slow and disruptive
// (one test restarts PostgreSQL), so a suite of its own: `npm run test:faults`.
export default defineConfig({
  test: {
    include: ['test-faults/**/*.fault.ts'],
    globalSetup: ['test/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
