import { defineConfig } from 'vite';
import uni from '@dcloudio/vite-plugin-uni';

// The app is compiled only from what pages.json and main.ts import; uniCloud/, local/, sandbox/, test/ and bench/
// are never reached from there, so they stay out of both builds.
export default defineConfig({
  plugins: [uni()],
});
