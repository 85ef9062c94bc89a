// uni-app entry: the toolchain calls createApp(); createSSRApp is what uni-app expects on every platform.
// vk-pay keeps its client state in a plain Vue reactive store, so the app needs no store library for it.
import { createSSRApp } from 'vue';
import App from './App.vue';

export function createApp() {
  const app = createSSRApp(App);
  return { app };
}
