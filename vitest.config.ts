import { defineConfig } from 'vitest/config';

// `npm test`: every test that needs no browser. Browser tests live in test/browser and run with vitest.browser.config.ts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/browser/**', 'node_modules/**'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
