import { defineConfig } from 'vite';
import uni from '@dcloudio/vite-plugin-uni';

// The configuration HBuilderX gives a project that has no vite.config of its own: uni-app's plugin and nothing
// else. The fresh-project builds pass it with `-c`, so the project itself stays as a user would have it.
export default defineConfig({
  plugins: [uni()],
});
