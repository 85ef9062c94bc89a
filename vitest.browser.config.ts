import { defineConfig } from 'vitest/config';

// `npm run test:browser`: the H5 build served by the local host, driven by Debian's chromium through playwright-core.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    environment: 'node',
    testTimeout: 90_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // one chromium and one H5 build at a time: two cores here
    fileParallelism: false,
  },
});
