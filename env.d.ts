/// <reference types="vite/client" />

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

interface ImportMetaEnv {
  /** base URL of the cloud object's URL-ized routes; empty = same origin (H5) */
  readonly VITE_VKPAY_BASE_URL?: string;
}
interface ImportMeta {
  readonly env: ImportMetaEnv;
}

/** uCharts ships JavaScript only: the part of its API the admin charts use. */
declare module '@qiun/ucharts' {
  export default class uCharts {
    constructor(opts: Record<string, unknown> & { context: unknown; width: number; height: number; type: string });
  }
}
