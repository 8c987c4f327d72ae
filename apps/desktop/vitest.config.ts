import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.{ts,tsx}'],
    // Renderer tests opt into jsdom with a `@vitest-environment jsdom` comment; main-process tests run in node.
    environment: 'node',
    // jsdom renders are slow on a busy two-core machine; a generous limit, not a speed target.
    testTimeout: 30_000,
  },
});
