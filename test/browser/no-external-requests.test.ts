/**
 * Nothing leaves the machine, and the payer's calls go through uniCloud's own client: the H5 app (built for local
 * debugging, scripts/build-h5.mjs) is loaded page by page and paid through the sandbox while the harness aborts
 * and records every request to a host other than loopback. The record must stay empty; the payment must reach
 * the host as uniCloud.importObject sends it (GET /system/ping, POST /system/check-function, POST
 * /cloudfunctions/vk-pay-co), never as HTTP to /http/vk-pay-co.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, Request } from 'playwright-core';
import { cloudCallOf, startHarness, waitForCall, type CloudCall, type Harness } from './harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ client: 'unicloud' });
});
afterAll(async () => {
  await h?.close();
});

interface WireCall { provider: string; platform: string; param: { method: string; uniIdToken?: string; clientInfo?: Record<string, unknown> } }

/** The loopback requests of a page and every page it opens (`METHOD /path`), and the vk-pay-co calls among them. */
function recordRequests(page: Page): { lines: string[]; calls: Array<CloudCall & { wire: WireCall }> } {
  const lines: string[] = [];
  const calls: Array<CloudCall & { wire: WireCall }> = [];
  page.context().on('request', (r: Request) => {
    const url = new URL(r.url());
    if (url.origin !== h.host.url) return;
    lines.push(`${r.method()} ${url.pathname}`);
    const call = cloudCallOf(r);
    if (call) calls.push({ ...call, wire: JSON.parse(r.postData() ?? '{}') as WireCall });
  });
  return { lines, calls };
}

describe('the H5 app requests nothing outside the host', () => {
  it('the guard works: a page\'s request to another host is aborted and recorded', async () => {
    const page = await h.newPage();
    await page.goto(`${h.host.url}/#/pages/checkout/checkout`);
    const outcome = await page.evaluate(() => fetch('https://cdn.dcloud.net.cn/img/shadow-grey.png').then(() => 'loaded', () => 'blocked'));
    expect(outcome).toBe('blocked');
    expect(h.external).toEqual(['GET https://cdn.dcloud.net.cn/img/shadow-grey.png']);
    h.external.length = 0;
    await page.context().close();
  });

  it('checkout, result and the admin dashboard load (and sit past uni-app\'s 3 s shadow preload) with no external request', async () => {
    const page = await h.newPage({ width: 1100, height: 900 });
    await page.goto(`${h.host.url}/#/pages/checkout/checkout`);
    await page.locator('.title', { hasText: 'vk-pay 演示收银台' }).waitFor();
    await page.locator('.vk-pay__button').waitFor();
    await page.waitForTimeout(3_500);

    await page.goto(`${h.host.url}/#/pages/result/result?out_trade_no=NOSUCHORDER0001`);
    await page.locator('.order-no', { hasText: 'NOSUCHORDER0001' }).waitFor();
    await page.locator('.error').waitFor();

    await page.goto(`${h.host.url}/#/pages/admin/login`);
    await page.locator('.token-input input').fill(h.host.adminToken);
    await page.locator('.token-btn').click();
    await page.waitForURL(/pages\/admin\/dashboard/);
    await page.locator('.kpi-orders').waitFor();
    await page.waitForTimeout(3_500);
    expect(h.external).toEqual([]);
    await page.context().close();
  });

  it('pays through uniCloud.importObject on the host, from checkout to the sandbox cashier to Paid, with no external request', async () => {
    const page = await h.newPage();
    const seen = recordRequests(page);
    await page.goto(`${h.host.url}/#/pages/checkout/checkout`);
    await page.locator('.title', { hasText: 'vk-pay 演示收银台' }).waitFor();
    await page.getByText('手机网页支付（H5）').click();
    await page.locator('.amount-input input').fill('0.02');
    const created = waitForCall(page, 'createPayment');
    await page.locator('.vk-pay__button').click();
    const reply = (await (await created).json()) as { errCode: number; code: number; data: { out_trade_no: string; amount: number } };
    expect(reply).toMatchObject({ errCode: 0, code: 0, data: { amount: 2 } });
    const outTradeNo = reply.data.out_trade_no;

    // what uniCloud's client sent: the call, the signed-in user's uni-id token and its client info
    const call = seen.calls.find((c) => c.method === 'createPayment')!;
    expect(call.transport).toBe('unicloud');
    expect(call.wire).toMatchObject({ provider: 'dcloud', platform: 'web' });
    expect(call.params).toMatchObject({ provider: 'wxpay', type: 'recharge', amount: 2 });
    expect(JSON.parse(Buffer.from(call.uniIdToken!.split('.')[1], 'base64url').toString('utf8'))).toMatchObject({ uid: 'demo-user' });
    expect(call.wire.param.clientInfo).toMatchObject({ uniPlatform: 'web' });

    await page.getByText('正在确认支付结果…').waitFor();
    const [cashier] = await Promise.all([page.context().waitForEvent('page'), page.getByText('打开支付页面').click()]);
    await cashier.waitForLoadState();
    expect(cashier.url()).toContain('/sandbox/');
    await cashier.getByRole('button', { name: /^(pay|confirm|确认支付|支付)/i }).first().click();
    await page.waitForURL(/pages\/result\/result/, { timeout: 60_000 });
    await page.locator('.status--paid').waitFor({ timeout: 30_000 });
    await expect(page.locator('.order-no').innerText()).resolves.toBe(outTradeNo);

    // the host ran the cloud object for these calls: the order is the token's user, from the web client
    const { data: orders } = await h.host.db.collection('payment_orders').where({ out_trade_no: outTradeNo }).get();
    expect(orders[0]).toMatchObject({ user_id: 'demo-user', platform: 'web', status: 'paid' });
    expect(seen.lines).toContain('GET /system/ping');
    expect(seen.lines).toContain('POST /system/check-function');
    expect(seen.calls.map((c) => c.method)).toEqual(expect.arrayContaining(['createPayment', 'queryPayment']));
    // the payer's path never used the HTTP transport
    expect(seen.calls.filter((c) => c.transport !== 'unicloud')).toEqual([]);
    console.log(`payer's calls to the host: ${seen.lines.filter((l) => !l.startsWith('GET /assets/')).join(', ')}`);
    expect(h.external).toEqual([]);
  });
});
