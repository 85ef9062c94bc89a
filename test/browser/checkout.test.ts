/**
 * The H5 build in headless chromium, served by the local host: what a person sees on the checkout page, the error
 * modal when the server refuses, the admin dashboard, and the whole payment through the sandbox cashier.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { describeError } from '../../uni_modules/vk-pay/common/errors';
import { qrDataUrl } from '../../uni_modules/vk-pay/components/vk-pay/qr';
import { cloudCallOf, hasMethod, startHarness, waitForCall, type Harness } from './harness';

let h: Harness;
const shots: string[] = [];
/** payments made at the cashier by the flow tests, which run before the dashboard test */
let paidInThisRun = 0;
let lastPaidOrder = '';

beforeAll(async () => {
  // the demo as users run it: uniCloud's own client (importObject) against the host's local-debug protocol
  h = await startHarness({ client: 'unicloud' });
});
afterAll(async () => {
  await h?.close();
  if (shots.length) console.log(`screenshots:\n${shots.join('\n')}`);
});

async function openCheckout(): Promise<Page> {
  const page = await h.newPage();
  await page.goto(`${h.host.url}/#/pages/checkout/checkout`);
  await page.locator('.title', { hasText: 'vk-pay demo checkout' }).waitFor();
  return page;
}

describe('checkout page (H5 build)', () => {
  it('shows providers, H5 payment methods, the amount and a Pay button', async () => {
    const page = await openCheckout();
    shots.push(await h.screenshot(page, 'checkout'));
    await expect(page.getByText('WeChat Pay', { exact: true }).isVisible()).resolves.toBe(true);
    await expect(page.getByText('Alipay', { exact: true }).isVisible()).resolves.toBe(true);
    // H5 offers QR and payment-page methods, never the mini-program or App ones
    await expect(page.getByText('QR code (Native)').isVisible()).resolves.toBe(true);
    await expect(page.getByText('Mini-program').count()).resolves.toBe(0);
    await expect(page.locator('.amount-input input').inputValue()).resolves.toBe('0.01');
    await expect(page.locator('.vk-pay__button').innerText()).resolves.toContain('Pay ¥0.01');

    await page.getByText('Alipay', { exact: true }).click();
    await expect(page.getByText('Desktop web page').isVisible()).resolves.toBe(true);
    await page.locator('.amount-input input').fill('0.001');
    await expect(page.getByText('Enter an amount in yuan').isVisible()).resolves.toBe(true);
    // uni-app renders <button> as <uni-button disabled="true">
    await expect(page.locator('.vk-pay__button').getAttribute('disabled')).resolves.toBe('true');
    const before = h.host.url;
    let posted = false;
    page.on('request', (r) => { if (r.url().startsWith(before) && cloudCallOf(r)) posted = true; });
    await page.locator('.vk-pay__button').click();
    await page.waitForTimeout(300);
    expect(posted).toBe(false);
  });

  it('posts through the transport to the host and shows the error envelope in the modal', async () => {
    const page = await openCheckout();
    const posted = page.waitForRequest((r) => cloudCallOf(r)?.method === 'createPayment');
    // goods priced by a catalog that has no such id: the server refuses with 40001 (before createPayment exists,
    // the host's "unknown method" envelope is 40001 too)
    await page.getByText('Goods', { exact: true }).click();
    await page.locator('.goods-input input').fill('no-such-goods');
    await page.locator('.vk-pay__button').click();
    const req = await posted;
    expect(req.method()).toBe('POST');
    const call = cloudCallOf(req)!;
    expect(call.transport).toBe('unicloud');
    // the demo signed in through the host's /__dev/login: the call carries that uni-id token, naming demo-user
    const token = call.uniIdToken!;
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'))).toMatchObject({ uid: 'demo-user' });
    expect(req.headers()['x-vkpay-dev-uid']).toBeUndefined();
    expect(call.params).toMatchObject({ provider: 'wxpay', pay_type: 'native', type: 'goods', goods_id: 'no-such-goods' });
    const modal = page.locator('.vk-pay__modal');
    await modal.waitFor();
    shots.push(await h.screenshot(page, 'checkout-error-modal'));
    const expected = describeError(40001, 'en');
    await expect(modal.locator('.vk-pay__modal-title').innerText()).resolves.toBe(expected.msg);
    await expect(modal.locator('.vk-pay__modal-action').innerText()).resolves.toBe(expected.action);
    await expect(modal.locator('.vk-pay__modal-code').innerText()).resolves.toContain('40001');
    await modal.getByText('OK').click();
    await expect(modal.count()).resolves.toBe(0);
  });
});

describe('QR payments at a desktop (needs createPayment)', () => {
  /** Creates a QR payment on checkout and returns the page and the code_url the server answered. */
  async function showQr(providerLabel: string, payTypeLabel: string): Promise<{ page: Page; codeUrl: string; outTradeNo: string }> {
    const page = await h.newPage({ width: 1100, height: 900 });
    await page.goto(`${h.host.url}/#/pages/checkout/checkout`);
    await page.locator('.title', { hasText: 'vk-pay demo checkout' }).waitFor();
    await page.getByText(providerLabel, { exact: true }).click();
    await page.getByText(payTypeLabel, { exact: true }).click();
    const created = waitForCall(page, 'createPayment');
    await page.locator('.vk-pay__button').click();
    const envelope = (await (await created).json()) as { code: number; data?: { out_trade_no: string; payment: { kind: string; code_url?: string } } };
    expect(envelope.code).toBe(0);
    expect(envelope.data?.payment.kind).toBe('code_url');
    return { page, codeUrl: envelope.data!.payment.code_url!, outTradeNo: envelope.data!.out_trade_no };
  }

  /** The QR image is on screen, square, not empty, above the code_url text, and shows this exact code_url. */
  async function expectQr(page: Page, codeUrl: string): Promise<void> {
    /** the <img> as this node-side tsconfig (no DOM lib) can name it */
    type Img = { complete: boolean; naturalWidth: number; naturalHeight: number };
    const qr = page.locator('.vk-pay__qr');
    await qr.waitFor();
    // uni-app's <image> is a <uni-image> holding an <img> (and the same picture as a background)
    const img = qr.locator('img');
    await expect(img.getAttribute('src')).resolves.toBe(qrDataUrl(codeUrl));
    await expect.poll(() => img.evaluate((el) => ((el as unknown as Img).complete ? (el as unknown as Img).naturalWidth : 0))).toBeGreaterThan(0);
    const box = (await qr.boundingBox())!;
    expect(box.width).toBeGreaterThan(100);
    expect(box.height).toBe(box.width);
    const text = (await page.locator('.vk-pay__code').boundingBox())!;
    expect(text.y).toBeGreaterThanOrEqual(box.y + box.height);
    await expect(page.locator('.vk-pay__code').innerText()).resolves.toBe(codeUrl);
    await expect(page.getByText('Open payment page').isVisible()).resolves.toBe(true);
    console.log(`QR for ${codeUrl}: ${box.width}x${box.height} px, GIF ${await img.evaluate((el) => `${(el as unknown as Img).naturalWidth}x${(el as unknown as Img).naturalHeight}`)}`);
  }

  it('WeChat Native shows the code_url as a QR image; the code_url it holds is the cashier, and paying there ends on Paid', async (ctx) => {
    if (!(await hasMethod(h.host, 'createPayment'))) ctx.skip();
    const { page, codeUrl, outTradeNo } = await showQr('WeChat Pay', 'QR code (Native)');
    await expectQr(page, codeUrl);
    shots.push(await h.screenshot(page, 'checkout-qr-wxpay-native'));

    // what the phone opens after scanning: the sandbox's cashier for this order
    const phone = await h.newPage();
    await phone.goto(codeUrl);
    expect(phone.url()).toContain('/sandbox/');
    await phone.getByRole('button', { name: /^(pay|confirm|确认支付|支付)/i }).first().click();
    paidInThisRun += 1;
    await page.waitForURL(/pages\/result\/result/, { timeout: 60_000 });
    await page.locator('.status--paid').waitFor({ timeout: 30_000 });
    await expect(page.locator('.order-no').innerText()).resolves.toBe(outTradeNo);
    lastPaidOrder = outTradeNo;
  });

  it('Alipay QR shows its qr_code as a QR image, and Cancel takes it away', async (ctx) => {
    if (!(await hasMethod(h.host, 'createPayment'))) ctx.skip();
    const { page, codeUrl } = await showQr('Alipay', 'QR code');
    await expectQr(page, codeUrl);
    shots.push(await h.screenshot(page, 'checkout-qr-alipay'));
    await page.getByText('Cancel', { exact: true }).click();
    await expect(page.locator('.vk-pay__qr').count()).resolves.toBe(0);
  });
});

describe('a payment from checkout to result (needs createPayment and the sandbox cashier)', () => {
  it('creates, pays on the sandbox cashier, and the result page shows Paid', async (ctx) => {
    if (!(await hasMethod(h.host, 'createPayment'))) ctx.skip();
    const page = await openCheckout();
    await page.getByText('Mobile web (H5)').click();
    await page.locator('.amount-input input').fill('0.02');
    const created = waitForCall(page, 'createPayment');
    await page.locator('.vk-pay__button').click();
    const envelope = (await (await created).json()) as { code: number; data?: { out_trade_no: string; amount: number } };
    expect(envelope.code).toBe(0);
    expect(envelope.data?.amount).toBe(2);
    await page.getByText('Waiting for payment confirmation').waitFor();
    shots.push(await h.screenshot(page, 'checkout-waiting'));

    const [cashier] = await Promise.all([page.context().waitForEvent('page'), page.getByText('Open payment page').click()]);
    await cashier.waitForLoadState();
    expect(cashier.url()).toContain('/sandbox/');
    shots.push(await h.screenshot(cashier, 'cashier'));
    await cashier.getByRole('button', { name: /^(pay|confirm|确认支付|支付)/i }).first().click();
    paidInThisRun += 1;

    await page.waitForURL(/pages\/result\/result/, { timeout: 60_000 });
    await page.locator('.status--paid').waitFor({ timeout: 30_000 });
    shots.push(await h.screenshot(page, 'result-paid'));
    await expect(page.locator('.status').innerText()).resolves.toBe('Paid');
    await expect(page.locator('.order-no').innerText()).resolves.toBe(envelope.data!.out_trade_no);
    lastPaidOrder = envelope.data!.out_trade_no;
    await expect(page.locator('.amount').innerText()).resolves.toBe('¥0.02');
  });

  it('in "this tab" mode leaves for the cashier, which sends the person back to the result page showing Paid', async (ctx) => {
    if (!(await hasMethod(h.host, 'createPayment'))) ctx.skip();
    const page = await openCheckout();
    await page.getByText('Mobile web (H5)').click();
    await page.getByText('In this tab').click();
    await page.locator('.amount-input input').fill('0.03');
    await page.locator('.vk-pay__button').click();
    await page.waitForURL(/\/sandbox\/cashier\//);
    await page.getByRole('button', { name: /^(pay|confirm|确认支付|支付)/i }).first().click();
    paidInThisRun += 1;
    await page.waitForURL(/pages\/result\/result/);
    await page.locator('.status--paid').waitFor({ timeout: 30_000 });
    shots.push(await h.screenshot(page, 'result-paid-after-redirect'));
    await expect(page.locator('.amount').innerText()).resolves.toBe('¥0.03');
  });
});

describe('admin dashboard (H5 build)', () => {
  it('refuses a wrong token, then shows the figures, logs and errors, and syncs and replays an order', async () => {
    const page = await h.newPage({ width: 1100, height: 900 });
    await page.goto(`${h.host.url}/#/pages/admin/dashboard`);
    await page.locator('.title', { hasText: 'vk-pay admin' }).waitFor();
    const statsReady = await hasMethod(h.host, 'getStats');
    await page.locator('.token-input input').fill('wrong-token-wrong-token');
    await page.locator('.load-btn').click();
    const error = page.locator('.error');
    await error.waitFor();
    // before getStats exists the host says "unknown method" (40001); once it exists a wrong token is 40009
    await expect(error.innerText()).resolves.toContain(statsReady ? describeError(40009, 'en').msg : describeError(40001, 'en').msg);

    await page.locator('.token-input input').fill(h.host.adminToken);
    await page.locator('.load-btn').click();
    if (statsReady) {
      await page.getByText('Payment success rate').waitFor();
      await expect(page.getByText('Provider latency (ms)').isVisible()).resolves.toBe(true);
      await expect(page.locator('.error').count()).resolves.toBe(0);
      if (paidInThisRun > 0) {
        // the payments above were made in this range: counted, with wxpay's response times and log rows
        const paidRow = page.locator('.tr', { has: page.getByText('Paid', { exact: true }) });
        await expect(paidRow.locator('.num').innerText()).resolves.toBe(String(paidInThisRun));
        await expect(page.locator('.bar-label', { hasText: 'wxpay' }).count()).resolves.toBe(1);
        const logs = page.locator('.card', { has: page.locator('.section', { hasText: /^Logs$/ }) });
        await expect(logs.locator('.tr').count()).resolves.toBeGreaterThan(1);
      }
      if (lastPaidOrder) {
        await page.locator('.order-input input').fill(lastPaidOrder);
        await page.getByText('Sync order', { exact: true }).click();
        const result = page.locator('.action-result');
        await expect.poll(() => result.innerText(), { timeout: 15_000 }).toMatch(/^syncOrder: \{/);
        await expect(result.innerText()).resolves.toContain('paid');
        await page.getByText('Replay hooks', { exact: true }).click();
        await expect.poll(() => result.innerText(), { timeout: 15_000 }).toMatch(/^replayHooks(: \{| failed: )/);
        console.log(`dashboard actions: ${await result.innerText()}`);
      }
    }
    shots.push(await h.screenshot(page, statsReady ? 'dashboard' : 'dashboard-before-getStats'));
  });
});
