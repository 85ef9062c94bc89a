/**
 * Runs a compiled mp-weixin app in WeChat's custom-component simulator (miniprogram-simulate: exparser, the
 * component system of WeChat's base library, on the DOM of the jsdom test environment; WXML compiled by
 * WeChat's own compiler, wcc). The order is the base library's: the device's `wx` is in place, `App` and
 * `getApp` exist, app.js runs (uni-app's runtime in common/vendor.js registers the app with `App()`), then a page
 * is created as the `Component` uni-app makes of it and gets its `onLoad`.
 *
 * Only `App`, `getApp` and `Page` are supplied here: miniprogram-simulate brings `Component` and `Behavior`, and
 * its `wx` (system info, UI, navigation mocks) under the device's own boundary functions (wx-device.ts).
 */
import { createRequire } from 'node:module';
import path from 'node:path';

const nodeRequire = createRequire(__filename);

/** the DOM types are not in this project's Node type set: what is used of them */
interface DomNode { textContent: string | null; appendChild(child: DomNode): void; innerHTML: string }
interface DomDocument { body: DomNode; createElement(tag: string): DomNode }

export interface SimComponent {
  dom: DomNode;
  instance: Record<string, any>;
  querySelector(selector: string): SimComponent | undefined;
  dispatchEvent(name: string, options?: Record<string, unknown>): void;
  attach(parent: DomNode): void;
  detach(): void;
}

interface Simulate {
  load(componentPath: string, options?: { rootPath?: string }): string;
  render(id: string, properties?: Record<string, unknown>): SimComponent;
}

export interface MiniProgram {
  /** the options uni-app's runtime gave `App()` */
  app: Record<string, any>;
  /** creates the page at `route` (e.g. pages/checkout/checkout), attaches it and calls its onLoad */
  openPage(route: string, query?: Record<string, string>): SimComponent;
}

/**
 * Loads the app in `buildDir` with `wx` as the device gives it. Once per process: app.js and uni-app's runtime
 * stay loaded (as in WeChat, where the app lives while its pages come and go).
 */
export function launchMiniProgram(buildDir: string, wx: Record<string, unknown>): MiniProgram {
  const g = globalThis as Record<string, any>;
  if (g.__vkpayMiniProgram) throw new Error('a mini program is already running in this process');
  g.wx = wx;
  const simulate = nodeRequire('miniprogram-simulate') as Simulate;
  let app: Record<string, any> | undefined;
  g.App = (options: Record<string, any>) => {
    if (app) throw new Error('App() called twice');
    app = options;
    // the base library calls onLaunch with the launch options, `this` being the app instance
    options.onLaunch?.call(options, { path: 'pages/checkout/checkout', query: {}, scene: 1001, referrerInfo: {} });
  };
  g.getApp = () => app;
  // uni-app (Vue 3) builds pages with Component(); a Page() call would mean a runtime this harness does not model
  g.Page = () => { throw new Error('Page() is not used by uni-app pages; the simulator runs them as components'); };
  nodeRequire(path.join(buildDir, 'app.js'));
  if (!app) throw new Error('app.js did not register the app with App()');
  g.__vkpayMiniProgram = true;
  return {
    app,
    openPage(route, query = {}) {
      const id = simulate.load(path.join(buildDir, route), { rootPath: buildDir });
      const page = simulate.render(id);
      // the jsdom environment's document (vitest puts it on the global)
      const document = (globalThis as unknown as { document: DomDocument }).document;
      const parent = document.createElement('div');
      document.body.appendChild(parent);
      page.attach(parent);
      page.instance.onLoad?.(query);
      page.instance.onShow?.();
      return page;
    },
  };
}

/** The text of the first node matching `selector` inside the page (`>>>` reaches into child components). */
export function textOf(page: SimComponent, selector: string): string | undefined {
  return page.querySelector(selector)?.dom.textContent ?? undefined;
}

export function tap(page: SimComponent, selector: string): void {
  const node = page.querySelector(selector);
  if (!node) throw new Error(`nothing matches ${selector}`);
  node.dispatchEvent('tap');
}
