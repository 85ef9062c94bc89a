// uni-app entry: the toolchain calls createApp(); createSSRApp is what uni-app expects on every platform.
import { createSSRApp } from 'vue';
import * as Pinia from 'pinia';
import App from './App.vue';

export function createApp() {
  const app = createSSRApp(App);
  app.use(Pinia.createPinia());
  // uni-app needs Pinia returned next to the app to wire the store on mini-program platforms.
  return { app, Pinia };
}
