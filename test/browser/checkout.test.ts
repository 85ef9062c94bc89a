/**
 * The payer's side in the real H5 build (issue 10): the checkout in Chinese at a phone and a desktop size, the
 * amount checked against getPayOptions before Pay, the payer's words in the modal (never the developer's detail),
 * English by the locale switch, QR and H5 payments ending on a result page that shows the points credited, a
 * repeat recharge making a new order, a cancel at the cashier (WeChat H5 and Alipay wap) ending as cancelled with
 * polling stopped, and a payment the bank declined ending as failed with the provider's reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, Request } from 'playwright-core';
import { describeError } from '../../uni_modules/vk-pay/common/errors';
import { qrDataUrl } from '../../uni_modules/vk-pay/components/vk-pay/qr';
import { DESKTOP, PHONE, VIEWPORTS, cloudCallOf, expectNoSidewaysScroll, sandboxControl, startHarness, waitForCall, type Harness } from './harness';

let h: Harness;
const shots: string[] = [];

beforeAll(async () => {
  // the demo as users run it: uniCloud's own client (importObject) against the host's local-debug protocol
  h = await startHarness({ client: 'unicloud' });
});
afterAll(async () => {
  const external = [...(h?.external ?? [])];
  await h?.close();
  // every screen above, every payment made: nothing tried to leave the machine
  expect(external).toEqual([]);
  if (shots.length) console.log(`screenshots (${h?.shots}):\n${shots.join('\n')}`);
});

const PAY_AT_CASHIER = /^(确认支付|pay)$/i;

async function shot(page: Page, name: string): Promise<void> {
  shots.push(await h.screenshot(page, name));
}

/** The checkout, signed in as `uid`, with the server's limits read. */
async function openCheckout(viewport: { width: number; height: number } = PHONE, uid = 'demo-user'): Promise<Page> {
  const page = await h.newPage(viewport);
  await page.goto(`${h.host.url}/#/pages/checkout/checkout`);
  await page.locator('.title', { hasText: 'vk-pay 演示收银台' }).waitFor();
  if (uid !== 'demo-user') {
    await page.locator('.uid-input input').fill(uid);
    await page.locator('.uid-input input').blur();
    await page.getByText(`已登录：${uid}`).waitFor();
  }
  await page.locator('.limit-hint').waitFor();
  return page;
}

/** Counts the calls of one cloud-object method a page makes from now on. */
function countCalls(page: Page, method: string): { readonly n: number } {
  const counter = { n: 0 };
  page.on('request', (r: Request) => { if (cloudCallOf(r)?.method === method) counter.n += 1; });
  return counter;
}

describe('checkout (H5 build), Chinese first', () => {
  it('shows providers, methods and the server\'s amount limits in Chinese at phone and desktop size', async () => {
    for (const vp of VIEWPORTS) {
      const page = await openCheckout(vp);
      await expect(page.locator('.limit-hint').innerText()).resolves.toBe('可充值 ¥0.01 至 ¥10000.00');
      await expect(page.getByText('微信支付', { exact: true }).isVisible()).resolves.toBe(true);
      await expect(page.getByText('支付宝', { exact: true }).isVisible()).resolves.toBe(true);
      await expect(page.getByText('扫码支付（Native）').isVisible()).resolves.toBe(true);
      await expect(page.getByText('小程序支付').count()).resolves.toBe(0); // not on H5
      await expect(page.locator('.vk-pay__button').innerText()).resolves.toBe('支付 ¥0.01');
      await expectNoSidewaysScroll(page);
      await shot(page, `checkout-${vp.width}`);
      await page.context().close();
    }
  });

  it('refuses an amount outside the limits on the page, before anything is sent', async () => {
    const page = await openCheckout(PHONE);
    const creates = countCalls(page, 'createPayment');
    await page.locator('.amount-input input').fill('20000');
    await expect(page.locator('.amount-error').innerText()).resolves.toBe('金额不能超过 ¥10000.00');
    // uni-app renders <button> as <uni-button disabled="true">
    await expect(page.locator('.vk-pay__button').getAttribute('disabled')).resolves.toBe('true');
    await page.locator('.vk-pay__button').click();
    await shot(page, 'checkout-amount-error-390');
    await page.locator('.amount-input input').fill('0.001');
    await expect(page.locator('.amount-error').innerText()).resolves.toBe('请输入金额，最多两位小数，且大于 0');
    await page.waitForTimeout(300);
    expect(creates.n).toBe(0);
    await page.context().close();
  });

  it('a refusal from the server shows the payer\'s words; the developer\'s detail stays out of the modal', async () => {
    for (const vp of VIEWPORTS) {
      const page = await openCheckout(vp);
      // signed out behind the page's back: the server refuses (40009 "sign in first")
      // (uni's H5 storage is localStorage under the same key)
      await page.evaluate(() => (globalThis as unknown as { localStorage: { removeItem(k: string): void } }).localStorage.removeItem('uni_id_token'));
      const answered = waitForCall(page, 'createPayment');
      await page.locator('.vk-pay__button').click();
      const envelope = (await (await answered).json()) as { code: number; msg: string };
      expect(envelope).toMatchObject({ code: 40009, msg: 'permission denied: sign in first' });
      const modal = page.locator('.vk-pay__modal');
      await modal.waitFor();
      const payer = describeError(40009, 'zh');
      await expect(modal.locator('.vk-pay__modal-title').innerText()).resolves.toBe(payer.msg);
      await expect(modal.locator('.vk-pay__modal-action').innerText()).resolves.toBe(payer.action);
      await expect(modal.innerText()).resolves.not.toMatch(/sign in first|permission denied/);
      await shot(page, `checkout-error-modal-${vp.width}`);
      await modal.getByText('知道了').click();
      await expect(modal.count()).resolves.toBe(0);
      await page.context().close();
    }
  });

  it('speaks English when the locale is switched, the component included', async () => {
    const page = await openCheckout(PHONE);
    await page.locator('.locale-switch__item', { hasText: 'English' }).click();
    await page.locator('.title', { hasText: 'vk-pay demo checkout' }).waitFor();
    await expect(page.locator('.limit-hint').innerText()).resolves.toBe('From ¥0.01 to ¥10000.00');
    await expect(page.locator('.vk-pay__button').innerText()).resolves.toBe('Pay ¥0.01');
    await expect(page.getByText('QR code (Native)').isVisible()).resolves.toBe(true);
    await shot(page, 'checkout-en-390');
    await page.context().close();
  });
});

describe('paying, and what the result page shows', () => {
  it('WeChat Native at a desktop: the QR holds the cashier; paid there, the result page shows the points credited', async () => {
    const page = await openCheckout(DESKTOP, 'qr-payer');
    const created = waitForCall(page, 'createPayment');
    await page.locator('.vk-pay__button').click();
    const envelope = (await (await created).json()) as { data: { out_trade_no: string; payment: { kind: string; code_url: string } } };
    expect(envelope.data.payment.kind).toBe('code_url');
    const codeUrl = envelope.data.payment.code_url;
    const qr = page.locator('.vk-pay__qr');
    await qr.waitFor();
    await expect(qr.locator('img').getAttribute('src')).resolves.toBe(qrDataUrl(codeUrl));
    const box = (await qr.boundingBox())!;
    expect(box.width).toBeGreaterThan(100);
    expect(box.height).toBe(box.width);
    await expect(page.getByText('请使用手机扫码支付：').isVisible()).resolves.toBe(true);
    await shot(page, 'checkout-qr-1280');

    const phone = await h.newPage(PHONE); // what the phone opens after scanning
    await phone.goto(codeUrl);
    await expect(phone.locator('html').getAttribute('lang')).resolves.toBe('zh-CN');
    await shot(phone, 'cashier-390');
    await phone.getByRole('button', { name: PAY_AT_CASHIER }).click();
    await page.waitForURL(/pages\/result\/result/, { timeout: 60_000 });
    await page.locator('.status--paid').waitFor({ timeout: 30_000 });
    await expect(page.locator('.status').innerText()).resolves.toBe('支付成功');
    await expect(page.locator('.order-no').innerText()).resolves.toBe(envelope.data.out_trade_no);
    await expect(page.locator('.effect').innerText()).resolves.toBe('积分 +1，当前积分 1');
    await expectNoSidewaysScroll(page);
    await shot(page, 'result-paid-1280');
    await page.context().close();
    await phone.context().close();
  });

  it('WeChat H5 in this tab: paid at the cashier, back on the result page; the same recharge again is a new order, and a cancel there ends as cancelled', async () => {
    const page = await openCheckout(PHONE, 'h5-payer');
    await page.getByText('手机网页支付（H5）').click();
    await page.getByText('当前页面', { exact: true }).click();
    await page.locator('.amount-input input').fill('0.02');
    await page.locator('.vk-pay__button').click();
    await page.waitForURL(/\/sandbox\/cashier\//);
    const first = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    await page.getByRole('button', { name: PAY_AT_CASHIER }).click();
    await page.waitForURL(/pages\/result\/result/);
    await page.locator('.status--paid').waitFor({ timeout: 30_000 });
    await expect(page.locator('.amount').innerText()).resolves.toBe('¥0.02');
    await expect(page.locator('.effect').innerText()).resolves.toBe('积分 +2，当前积分 2');
    await expectNoSidewaysScroll(page);
    await shot(page, 'result-paid-390');

    // the same recharge within five minutes: a new order at the cashier, never "paid" without paying
    await page.getByText('返回收银台').click();
    await page.locator('.limit-hint').waitFor();
    await page.getByText('手机网页支付（H5）').click();
    await page.getByText('当前页面', { exact: true }).click();
    await page.locator('.amount-input input').fill('0.02');
    await page.locator('.vk-pay__button').click();
    await page.waitForURL(/\/sandbox\/cashier\//);
    const second = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    expect(second).not.toBe(first);
    await expect(page.getByText('待支付').first().isVisible()).resolves.toBe(true);

    // backed out at the WeChat cashier: WeChat returns with nothing on the URL, so the page asks the payer
    await page.getByRole('button', { name: /^(取消支付|cancel)$/i }).click();
    await page.waitForURL(/pages\/result\/result/);
    await page.locator('.prompt').waitFor();
    await expect(page.locator('.status').innerText()).resolves.toBe('等待支付确认');
    await shot(page, 'result-prompt-390');
    await page.locator('.prompt-cancel').click();
    await page.locator('.status--cancelled').waitFor();
    await expect(page.locator('.status').innerText()).resolves.toBe('已取消支付');
    await expect(page.locator('.order-no').innerText()).resolves.toBe(second);
    const polls = countCalls(page, 'getPaymentResult');
    await page.waitForTimeout(4000);
    expect(polls.n).toBe(0); // polling stopped
    await shot(page, 'result-cancelled-390');
    await page.context().close();
  });

  it('Alipay wap: backing out at the cashier returns to quit_url, the server closes the trade, the page says cancelled', async () => {
    const page = await openCheckout(DESKTOP, 'wap-payer');
    await page.getByText('支付宝', { exact: true }).click();
    await page.getByText('手机网站支付').click();
    await page.getByText('当前页面', { exact: true }).click();
    const cancels = countCalls(page, 'cancelPayment');
    await page.locator('.vk-pay__button').click();
    await page.waitForURL(/\/sandbox\/cashier\/alipay\//);
    const no = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    await page.getByRole('button', { name: /^(取消支付|cancel)$/i }).click();
    await page.waitForURL(/vkpay_return=quit/);
    await page.locator('.status--cancelled').waitFor({ timeout: 30_000 });
    expect(cancels.n).toBe(1);
    await expect(page.locator('.advice').innerText()).resolves.toBe('本次未扣款，可以返回重新下单。');
    const polls = countCalls(page, 'getPaymentResult');
    await page.waitForTimeout(3000);
    expect(polls.n).toBe(0);
    const order = (await sandboxControl(h.host, 'pay', { channel: 'alipay', out_trade_no: no })) as { code?: string };
    expect(order.code).toBe('ORDER_CLOSED'); // closed at the provider: the cancelled order can no longer take money
    await expectNoSidewaysScroll(page);
    await shot(page, 'result-cancelled-1280');
    await page.context().close();
  });

  it('a payment the bank declined: the component says failed with the provider\'s reason, and so does the result page', async () => {
    const page = await openCheckout(DESKTOP, 'declined-payer');
    const created = waitForCall(page, 'createPayment');
    await page.locator('.vk-pay__button').click();
    const no = ((await (await created).json()) as { data: { out_trade_no: string } }).data.out_trade_no;
    await page.locator('.vk-pay__qr').waitFor();
    expect(await sandboxControl(h.host, 'pay', { channel: 'wxpay', out_trade_no: no, outcome: 'fail', reason: '银行卡余额不足' })).toMatchObject({ ok: true });
    const modal = page.locator('.vk-pay__modal');
    await modal.waitFor({ timeout: 30_000 });
    await expect(modal.locator('.vk-pay__modal-title').innerText()).resolves.toBe('支付未成功');
    await expect(modal.locator('.vk-pay__modal-reason').innerText()).resolves.toBe('原因：银行卡余额不足');
    await shot(page, 'checkout-failed-modal-1280');
    await page.context().close();

    const result = await h.newPage(PHONE);
    await result.goto(`${h.host.url}/#/pages/checkout/checkout`);
    await result.locator('.uid-input input').fill('declined-payer');
    await result.locator('.uid-input input').blur();
    await result.getByText('已登录：declined-payer').waitFor();
    await result.goto(`${h.host.url}/#/pages/result/result?out_trade_no=${no}`);
    await result.locator('.status--failed').waitFor();
    await expect(result.locator('.status').innerText()).resolves.toBe('支付未成功');
    await expect(result.locator('.fail-reason').innerText()).resolves.toBe('原因：银行卡余额不足');
    await expectNoSidewaysScroll(result);
    await shot(result, 'result-failed-390');
    await result.context().close();
  });
});
