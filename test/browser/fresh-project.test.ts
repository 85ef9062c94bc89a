/**
 * The packed plugin in a fresh uni-app project, paid in a browser: the project of test/pack/fresh-project.ts (the
 * package from `npm run pack` in its uni_modules, `<vk-pay>` on its page with no import) built for H5 with the real
 * toolchain and served by the local host, which runs that project's own cloud functions. A signed-in person (the
 * uni-id token in storage, where uni-id keeps it) presses Pay, sees the WeChat Native QR code, pays at the sandbox
 * cashier the code points to, and the page's own @success handler shows the order as paid. The package adds no
 * request off the machine: the only one a fresh project makes is uni-app's own navigation-bar shadow image from
 * DCloud's CDN, which every uni-app H5 build preloads (the demo strips it in its vite.config; a user's project
 * keeps uni-app's default), and it is blocked here like anything else off loopback.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type Host } from '../../local/host';
import { buildProject, makeFreshProject, runPack } from '../pack/fresh-project';

const temps: string[] = [];
let host: Host;
let browser: Browser;

beforeAll(async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'vkpay-pack-'));
  temps.push(out);
  const project = makeFreshProject(runPack(out).dir);
  temps.push(project);
  const h5 = await buildProject(project, 'h5');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'vkpay-fresh-home-'));
  temps.push(home);
  host = await startHost({ port: 0, home, quiet: true, timers: false, projectDir: project, h5Dir: h5.outDir });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await host?.close();
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});

describe('a fresh uni-app project with the packed vk-pay, in chromium', () => {
  it('a signed-in person presses Pay, scans the QR code at the sandbox cashier, and the page shows the order paid', async () => {
    const login = await fetch(`${host.url}/__dev/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ uid: 'fresh-shopper' }) });
    const { token } = (await login.json()) as { token: string };
    const context = await browser.newContext({ viewport: { width: 430, height: 900 } });
    const external: string[] = [];
    await context.route('**/*', (route) => {
      const { hostname } = new URL(route.request().url());
      if (hostname === '127.0.0.1' || hostname === 'localhost') return route.continue();
      external.push(route.request().url());
      return route.abort();
    });
    // what uni-id's login page leaves behind: the token under uni_id_token (uni.setStorageSync keeps strings as is)
    // (the script runs in the page; this file's Node-side tsconfig has no DOM types, hence the cast)
    await context.addInitScript((t) => (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('uni_id_token', t), token);
    const page = await context.newPage();
    await page.goto(`${host.url}/`);

    await page.locator('.vk-pay__button').click();
    await page.locator('.vk-pay__qr img').waitFor({ timeout: 30_000 });
    const codeUrl = await page.locator('.vk-pay__code').innerText();
    expect(codeUrl).toContain(`${host.url}/sandbox/`);
    const [order] = (await host.db.collection('payment_orders').where({ user_id: 'fresh-shopper' }).get()).data as { out_trade_no: string; amount: number }[];
    expect(order.amount).toBe(100);

    // the phone that scanned the code: the sandbox cashier for this order
    const phone = await context.newPage();
    await phone.goto(codeUrl);
    await phone.getByRole('button', { name: /^(pay|confirm|确认支付|支付)/i }).first().click();

    await page.locator('.shop__paid').waitFor({ timeout: 60_000 });
    await expect(page.locator('.shop__paid').innerText()).resolves.toBe(`paid ${order.out_trade_no}`);
    const UNI_APP_SHADOW = /^https:\/\/cdn[0-9]*\.dcloud\.net\.cn\/img\/shadow-[a-z]+\.png$/;
    expect(external.filter((url) => !UNI_APP_SHADOW.test(url))).toEqual([]);
    await context.close();
  });
});
