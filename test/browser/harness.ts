/**
 * Shared set-up for the browser tests: an H5 build of the demo (rebuilt when the client sources changed), the local
 * host serving it with a fresh VKPAY_HOME, and headless Debian chromium (never a downloaded browser) whose pages
 * reach nothing but loopback: every other request is aborted and recorded in `external`.
 *
 * Two builds, by the client the app talks through (`startHarness({ client })`, default 'unicloud', as users run it):
 * - 'unicloud': built for local debugging (scripts/build-h5.mjs), so the component calls the host through
 *   uniCloud's own client (`uniCloud.importObject` -> /system/ping, /system/check-function,
 *   /cloudfunctions/vk-pay-co). The host's port is compiled into the app, so this build (dist/browser-test/h5)
 *   is kept apart from the one `npm start` serves (dist/build/h5, ${PORT:-8787}): its port is reused while free,
 *   and a port taken by something else means a rebuild for a free one.
 * - 'http': a plain `uni build -p h5` (no uniCloud space), so the component uses HTTP to /http/vk-pay-co.
 * `cloudCallOf` and `waitForCall` read a call the same way under either.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Request, type Response } from 'playwright-core';
import { startHost, type Host, type StartHostOptions } from '../../local/host';
import { builtAfterSources, freePort, ROOT, stampedPort } from '../support/local-debug-build';

export type ClientKind = 'unicloud' | 'http';
const BUILD_DIRS: Record<ClientKind, string> = {
  unicloud: path.join(ROOT, 'dist', 'browser-test', 'h5'),
  http: path.join(ROOT, 'dist', 'browser-test', 'h5-http'),
};
const CLIENT_SOURCES = ['main.ts', 'App.vue', 'pages.json', 'manifest.json', 'index.html', 'vite.config.ts', 'scripts/build-h5.mjs', 'pages', 'components', 'locale', 'uni_modules/vk-pay/components', 'uni_modules/vk-pay/common'];

function isFresh(dir: string): boolean {
  return builtAfterSources(path.join(dir, 'index.html'), CLIENT_SOURCES);
}

/** The port the local-debug test build calls, when it exists and is newer than the client's sources. */
function freshBuildPort(): number | undefined {
  const dir = BUILD_DIRS.unicloud;
  return isFresh(dir) ? stampedPort(dir) : undefined;
}

/** The local-debug build for a host on 127.0.0.1:<port>, with the real uni-app toolchain. */
function buildForPort(port: number): void {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-h5.mjs'), '--port', String(port), '--out', BUILD_DIRS.unicloud], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** The plain build (no uniCloud space: the component uses HTTP), when missing or older than the sources. */
function ensureHttpBuild(): void {
  if (isFresh(BUILD_DIRS.http)) return;
  const env: NodeJS.ProcessEnv = { ...process.env, UNI_INPUT_DIR: ROOT, UNI_OUTPUT_DIR: BUILD_DIRS.http };
  for (const k of ['UNICLOUD_DEBUG', 'UNI_CLOUD_SPACES', 'UNI_CLOUD_PROVIDER']) delete env[k];
  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'uni'), ['build', '-p', 'h5'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** A fresh build for `client` and the local host serving it (for 'unicloud', on the port the build calls). */
async function startHostForBuild(client: ClientKind, opts: StartHostOptions): Promise<Host> {
  if (client === 'http') {
    ensureHttpBuild();
    return startHost({ ...opts, port: 0, h5Dir: BUILD_DIRS.http });
  }
  const built = freshBuildPort();
  if (built !== undefined) {
    try {
      return await startHost({ ...opts, port: built, h5Dir: BUILD_DIRS.unicloud });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  const port = await freePort();
  buildForPort(port);
  return startHost({ ...opts, port, h5Dir: BUILD_DIRS.unicloud });
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Loopback requests go on; anything else is aborted and its URL recorded (`ws:` included). */
async function keepOnLoopback(context: BrowserContext, external: string[]): Promise<void> {
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (LOOPBACK.has(new URL(url).hostname)) return route.continue();
    external.push(`${route.request().method()} ${url}`);
    return route.abort('blockedbyclient');
  });
  await context.routeWebSocket(() => true, (ws) => {
    if (LOOPBACK.has(new URL(ws.url()).hostname)) return ws.connectToServer();
    external.push(`WS ${ws.url()}`);
    return ws.close();
  });
}

/** The two sizes every screen is checked at: a phone and a desktop. */
export const PHONE = { width: 390, height: 844 } as const;
export const DESKTOP = { width: 1280, height: 800 } as const;
export const VIEWPORTS = [PHONE, DESKTOP] as const;

export interface Harness {
  host: Host;
  browser: Browser;
  home: string;
  /** how the app's component reaches the cloud object */
  client: ClientKind;
  /** every request a page of this harness tried to send off the machine (aborted), e.g. `GET https://cdn...` */
  external: string[];
  /** where this run's screenshots go: $VKPAY_SHOTS, else a fresh temporary folder */
  shots: string;
  /** a phone-sized page unless a viewport is given */
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

export async function startHarness(options: { client?: ClientKind } = {}): Promise<Harness> {
  const client = options.client ?? 'unicloud';
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'vkpay-browser-'));
  const host = await startHostForBuild(client, { home, quiet: true, timers: false });
  const external: string[] = [];
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  const shots = process.env.VKPAY_SHOTS ? path.resolve(process.env.VKPAY_SHOTS) : fs.mkdtempSync(path.join(os.tmpdir(), 'vkpay-shots-'));
  fs.mkdirSync(shots, { recursive: true });
  return {
    host,
    browser,
    home,
    client,
    external,
    shots,
    async newPage(viewport = PHONE) {
      // a phone or desktop in China: the sandbox cashier follows the browser's language, as the real ones do
      const context = await browser.newContext({ viewport, locale: 'zh-CN' });
      await keepOnLoopback(context, external);
      return context.newPage();
    },
    async screenshot(page, name) {
      const file = path.join(shots, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      await browser.close();
      await host.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Whether the cloud object answers a method yet (others are still building parts of it). */
export async function hasMethod(host: Host, method: string): Promise<boolean> {
  const res = await fetch(`${host.url}/http/vk-pay-co/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${host.adminToken}` }, body: '{}' });
  const body = (await res.json()) as { code: number; msg?: string };
  return !(res.status === 404 && /unknown method/.test(body.msg ?? ''));
}

export interface CloudCall {
  transport: ClientKind;
  method: string;
  /** the method's parameter object */
  params: Record<string, unknown>;
  uniIdToken: string | undefined;
}

/**
 * The vk-pay-co call a request carries, under either client: HTTP `POST /http/vk-pay-co/<method>` (params = the
 * JSON body, token = the uni-id-token header) or uniCloud's `POST /cloudfunctions/vk-pay-co` (`param.method`,
 * `param.params[0]`, `param.uniIdToken`). Undefined for any other request.
 */
export function cloudCallOf(req: Request): CloudCall | undefined {
  const url = new URL(req.url());
  const body = (): Record<string, unknown> => {
    try {
      const v: unknown = JSON.parse(req.postData() ?? '{}');
      return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  };
  const http = /^\/http\/vk-pay-co\/([A-Za-z0-9]+)$/.exec(url.pathname);
  if (http) return { transport: 'http', method: http[1], params: body(), uniIdToken: req.headers()['uni-id-token'] };
  if (url.pathname !== '/cloudfunctions/vk-pay-co') return undefined;
  const param = (body().param ?? {}) as { method?: unknown; params?: unknown; uniIdToken?: unknown };
  const first = Array.isArray(param.params) ? param.params[0] : undefined;
  return {
    transport: 'unicloud',
    method: typeof param.method === 'string' ? param.method : '',
    params: first && typeof first === 'object' ? (first as Record<string, unknown>) : {},
    uniIdToken: typeof param.uniIdToken === 'string' ? param.uniIdToken : undefined,
  };
}

/** The response to the page's next call of vk-pay-co's `method`, whichever client the build uses; its body is the envelope. */
export function waitForCall(page: Page, method: string): Promise<Response> {
  return page.waitForResponse((r) => cloudCallOf(r.request())?.method === method);
}

/** Nothing wider than the viewport: the page never scrolls sideways (tables wrap or scroll inside their card). */
export async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const { scroll, inner } = await page.evaluate(() => {
    const d = (globalThis as unknown as { document: { documentElement: { scrollWidth: number } }; innerWidth: number });
    return { scroll: d.document.documentElement.scrollWidth, inner: d.innerWidth };
  });
  if (scroll > inner + 1) throw new Error(`the page is ${scroll}px wide in a ${inner}px viewport`);
}

/** A uni-id token from the local host's /__dev/login (sandbox env), as the demo gets one. */
export async function devToken(host: Host, uid: string, role?: string): Promise<string> {
  const res = await fetch(`${host.url}/__dev/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(role ? { uid, role } : { uid }) });
  return ((await res.json()) as { token: string }).token;
}

/** Calls the cloud object as a signed-in user (uni-id token) or as the admin (bearer token); answers the data. */
export async function callAs<T = any>(host: Host, method: string, params: object, as: { token?: string; admin?: boolean }): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (as.token) headers['uni-id-token'] = as.token;
  if (as.admin) headers.authorization = `Bearer ${host.adminToken}`;
  const res = await fetch(`${host.url}/http/vk-pay-co/${method}`, { method: 'POST', headers, body: JSON.stringify(params) });
  const body = (await res.json()) as { code: number; msg?: string; data: T };
  if (body.code !== 0) throw new Error(`${method}: ${body.code} ${body.msg}`);
  return body.data;
}

/** What a person does at the sandbox cashier, through its control route. */
export async function sandboxControl(host: Host, action: string, body: object): Promise<unknown> {
  const res = await fetch(`${host.url}/sandbox/control/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return res.json();
}
