/**
 * Shared set-up for the browser tests: a fresh H5 build when the client sources changed, the local host on a free
 * port with a fresh VKPAY_HOME, and headless Debian chromium (never a downloaded browser).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startHost, type Host } from '../../local/host';

const ROOT = path.resolve(__dirname, '..', '..');
const H5_INDEX = path.join(ROOT, 'dist', 'build', 'h5', 'index.html');
const CLIENT_SOURCES = ['main.ts', 'App.vue', 'pages.json', 'manifest.json', 'index.html', 'pages', 'components', 'locale', 'uni_modules/vk-pay/components', 'uni_modules/vk-pay/common'];

function newestMtime(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, e)));
  return newest;
}

/** Builds dist/build/h5 with the real uni-app toolchain when it is missing or older than the client's sources. */
export function ensureH5Build(): void {
  const built = fs.existsSync(H5_INDEX) ? fs.statSync(H5_INDEX).mtimeMs : 0;
  const sources = Math.max(...CLIENT_SOURCES.map((s) => path.join(ROOT, s)).filter((p) => fs.existsSync(p)).map(newestMtime));
  if (built > sources) return;
  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'uni'), ['build', '-p', 'h5'], {
    cwd: ROOT,
    env: { ...process.env, UNI_INPUT_DIR: ROOT },
    stdio: ['ignore', 'ignore', 'inherit'],
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
  /** where this run's screenshots go: $VKPAY_SHOTS, else a fresh temporary folder */
  shots: string;
  /** a phone-sized page unless a viewport is given */
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  ensureH5Build();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'vkpay-browser-'));
  const host = await startHost({ port: 0, home, quiet: true, timers: false });
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
    shots,
    async newPage(viewport = PHONE) {
      // a phone or desktop in China: the sandbox cashier follows the browser's language, as the real ones do
      const context = await browser.newContext({ viewport, locale: 'zh-CN' });
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
