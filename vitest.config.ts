import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

// uni-app's built-in components (<view>, <text>, ...) are left as plain elements so .vue component tests under
// test/components render in happy-dom without the uni runtime.
const UNI_TAGS = new Set(['view', 'text', 'navigator', 'scroll-view', 'image', 'picker', 'radio', 'radio-group', 'checkbox', 'label']);

// `npm test`: every test that needs no browser. Browser tests live in test/browser and run with vitest.browser.config.ts.
export default defineConfig({
  plugins: [vue({ template: { compilerOptions: { isCustomElement: (tag) => UNI_TAGS.has(tag) } } })],
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/browser/**', 'node_modules/**'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
