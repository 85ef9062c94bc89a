// @vitest-environment happy-dom
/**
 * <vk-pay> against a real HTTP server in this process that plays the cloud object: the backoff between queries
 * (measured on the fake clock when each query reaches the server), pausing while the page is hidden, stopping at a
 * final status, the modal for an error code, and the emitted events. Only the platform's payment sheet is played by
 * the test (happy-dom has no WeChat or Alipay).
 */
import http from 'node:http';
import { setImmediate as realImmediate } from 'node:timers';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mount, type VueWrapper } from '@vue/test-utils';
import { describeError } from '../../uni_modules/vk-pay/common/errors';
import VkPay from '../../uni_modules/vk-pay/components/vk-pay/vk-pay.vue';
import { PLATFORM_KEY, documentVisibility, type PaymentOutcome, type PlatformBridge } from '../../uni_modules/vk-pay/components/vk-pay/platform';
import type { ClientPayment } from '../../uni_modules/vk-pay/components/vk-pay/api-types';
import { resetPaymentStore, usePaymentStore } from '../../uni_modules/vk-pay/components/vk-pay/store';
import { qrDataUrl } from '../../uni_modules/vk-pay/components/vk-pay/qr';

type Envelope = Record<string, unknown>;
interface Call { method: string; at: number; body: Record<string, unknown>; headers: http.IncomingHttpHeaders }

/** What the fake cloud object answers next; queries consume `queries` in order and repeat the last one. */
const script: { create: Envelope; queries: Envelope[]; options: Envelope } = { create: {}, queries: [], options: { code: 0, msg: 'ok', data: null } };
const calls: Call[] = [];
let server: http.Server;
let base = '';

const pending = (no: string) => ({ code: 0, msg: 'ok', data: { out_trade_no: no, status: 'pending', amount: 100, refunded_amount: 0 } });
const final = (no: string, status: string) => ({ code: 0, msg: 'ok', data: { out_trade_no: no, status, amount: 100, paid_at: 1, refunded_amount: 0 } });
const created = (no: string, payment: ClientPayment) => ({ code: 0, msg: 'ok', data: { out_trade_no: no, amount: 100, expires_at: 2e12, payment } });

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*', 'access-control-allow-methods': 'POST' };
      if (req.method === 'OPTIONS') {
        res.writeHead(204, cors);
        return res.end();
      }
      const method = (req.url ?? '').replace('/http/vk-pay-co/', '');
      if (method === 'getPayOptions') {
        // asked once by the component when it mounts; these tests play no options (vk-pay-login.test.ts does)
        res.writeHead(200, { 'content-type': 'application/json', ...cors });
        return res.end(JSON.stringify(script.options));
      }
      calls.push({ method, at: Date.now(), body: JSON.parse(Buffer.concat(chunks).toString() || '{}'), headers: req.headers });
      let reply: Envelope;
      if (method === 'createPayment') reply = script.create;
      else reply = script.queries.length > 1 ? script.queries.shift()! : script.queries[0];
      res.writeHead(200, { 'content-type': 'application/json', ...cors });
      res.end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/** The test's stand-in for the WeChat/Alipay sheet; visibility is the real DOM event. */
class TestBridge implements PlatformBridge {
  outcome: PaymentOutcome | Error = 'ok';
  paid: { provider: string; payment: ClientPayment }[] = [];
  opened: string[] = [];
  redirected: string[] = [];
  platform() { return 'web'; }
  async requestPayment(provider: 'wxpay' | 'alipay', payment: ClientPayment): Promise<PaymentOutcome> {
    this.paid.push({ provider, payment });
    if (this.outcome instanceof Error) throw this.outcome;
    return this.outcome;
  }
  redirect(url: string) { this.redirected.push(url); }
  openWindow(url: string) { this.opened.push(url); }
  onVisibilityChange(listener: (visible: boolean) => void) { return documentVisibility(listener); }
  async loginCode(): Promise<string> { throw new Error('no login in these tests'); }
  inWeixinBrowser() { return false; }
  currentUrl() { return 'http://app.example/'; }
  replaceUrl() {}
}

let bridge: TestBridge;
let wrapper: VueWrapper | undefined;

function setHidden(hidden: boolean): void {
  Object.defineProperty(document, 'visibilityState', { value: hidden ? 'hidden' : 'visible', configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
}

/** Lets real I/O (the HTTP round trip) finish without moving the fake clock. */
async function settle(untilCalls?: number): Promise<void> {
  const deadline = performance.now() + 3000;
  for (;;) {
    await new Promise((r) => realImmediate(r));
    await new Promise((r) => realImmediate(r));
    if (untilCalls === undefined || calls.length >= untilCalls || performance.now() > deadline) break;
  }
  // one more turn so the component has handled the reply
  for (let i = 0; i < 20; i++) await new Promise((r) => realImmediate(r));
}

/** uni's storage, the one platform API the store reads here: uni-id keeps the signed-in user's token in it. */
const storage = new Map<string, unknown>();
(globalThis as Record<string, unknown>).uni = {
  getStorageSync: (k: string) => storage.get(k) ?? '',
  setStorageSync: (k: string, v: unknown) => void storage.set(k, v),
  removeStorageSync: (k: string) => void storage.delete(k),
};

function mountPay(props: Record<string, unknown> = {}): VueWrapper {
  storage.clear();
  storage.set('uni_id_token', 'token-of-buyer-1');
  storage.set('uni_id_token_expired', 4e12);
  resetPaymentStore();
  usePaymentStore().configure({ baseUrl: base });
  wrapper = mount(VkPay, {
    props: { provider: 'wxpay', payType: 'native', type: 'recharge', amount: 100, ...props },
    global: { provide: { [PLATFORM_KEY as symbol]: bridge } },
  });
  return wrapper;
}

async function clickPay(w: VueWrapper, expectCalls = calls.length + 1): Promise<void> {
  await w.find('button.vk-pay__button').trigger('click');
  await settle(expectCalls);
}

const queriesOf = () => calls.filter((c) => c.method === 'queryPayment');

/** Moves the fake clock to 1 ms before the next query is due (none yet), then to the moment it is (one more). */
async function expectQueryAfter(delay: number): Promise<void> {
  const n = queriesOf().length;
  await vi.advanceTimersByTimeAsync(delay - 1);
  await settle();
  expect(queriesOf()).toHaveLength(n);
  await vi.advanceTimersByTimeAsync(1);
  await settle(calls.length + 1);
  expect(queriesOf()).toHaveLength(n + 1);
}

beforeEach(() => {
  calls.length = 0;
  bridge = new TestBridge();
  setHidden(false);
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  wrapper?.unmount();
  wrapper = undefined;
  vi.useRealTimers();
});

describe('<vk-pay> polling', () => {
  it('creates with what the person chose, then queries at 1s, 2s, 3s, 5s, 8s, 8s apart and stops when paid', async () => {
    script.create = created('T-BACKOFF', { kind: 'code_url', code_url: 'weixin://wxpay/bizpayurl?pr=abc' });
    script.queries = [pending('T-BACKOFF'), pending('T-BACKOFF'), pending('T-BACKOFF'), pending('T-BACKOFF'), pending('T-BACKOFF'), final('T-BACKOFF', 'paid')];
    const w = mountPay();
    const t0 = Date.now();
    await clickPay(w);
    expect(calls[0]).toMatchObject({ method: 'createPayment', body: { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 100 } });
    // the user is named by their uni-id token, as uni-id keeps it in storage
    expect(calls[0].headers['uni-id-token']).toBe('token-of-buyer-1');
    expect(calls[0].headers['x-vkpay-dev-uid']).toBeUndefined();
    expect(w.text()).toContain('weixin://wxpay/bizpayurl?pr=abc');
    // the code_url as a QR image to scan, above the text and the button that stay for a person on the phone
    const box = w.find('.vk-pay__box');
    const qr = box.find('image.vk-pay__qr');
    expect(qr.exists()).toBe(true);
    expect(qr.attributes('src')).toBe(qrDataUrl('weixin://wxpay/bizpayurl?pr=abc'));
    const order = box.element.innerHTML;
    expect(order.indexOf('vk-pay__qr')).toBeLessThan(order.indexOf('vk-pay__code'));
    expect(box.find('.vk-pay__link').exists()).toBe(true);

    for (const d of [1000, 2000, 3000, 5000, 8000, 8000]) await expectQueryAfter(d);
    const at = queriesOf().map((c) => c.at - t0);
    const gaps = at.map((v, i) => v - (i === 0 ? 0 : at[i - 1]));
    expect(gaps).toEqual([1000, 2000, 3000, 5000, 8000, 8000]);
    expect(w.emitted('success')).toHaveLength(1);
    expect(w.emitted('success')![0][0]).toMatchObject({ out_trade_no: 'T-BACKOFF', status: 'paid' });
    await vi.advanceTimersByTimeAsync(120_000);
    await settle();
    expect(queriesOf()).toHaveLength(6);
    expect(w.emitted('fail')).toBeUndefined();
  });

  it('pauses while the page is hidden and queries at once when it is shown again', async () => {
    script.create = created('T-HIDE', { kind: 'h5_url', h5_url: 'http://pay.example/cashier/T-HIDE' });
    script.queries = [pending('T-HIDE')];
    const w = mountPay({ payType: 'h5' });
    await clickPay(w);
    await vi.advanceTimersByTimeAsync(1000);
    await settle(2);
    expect(queriesOf()).toHaveLength(1);

    setHidden(true);
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    await settle();
    expect(queriesOf()).toHaveLength(1);
    await w.vm.$nextTick();
    expect(w.text()).toContain('Paused while the page is in the background');

    script.queries = [final('T-HIDE', 'paid')];
    const shownAt = Date.now();
    setHidden(false);
    await settle(3);
    expect(queriesOf()).toHaveLength(2);
    expect(queriesOf()[1].at).toBe(shownAt);
    expect(w.emitted('success')).toHaveLength(1);
    // the H5 payment page is offered as a button; clicking it opens it
    expect(bridge.redirected).toEqual([]);
    // a payment page is a link, not something to scan
    expect(w.find('.vk-pay__qr').exists()).toBe(false);
  });

  it('a closed order ends polling with fail(reason closed) and the modal says so', async () => {
    script.create = created('T-CLOSED', { kind: 'code_url', code_url: 'weixin://x' });
    script.queries = [pending('T-CLOSED'), final('T-CLOSED', 'closed')];
    const w = mountPay();
    await clickPay(w);
    expect(w.find('.vk-pay__qr').attributes('src')).toBe(qrDataUrl('weixin://x'));
    await vi.advanceTimersByTimeAsync(1000);
    await settle(2);
    await vi.advanceTimersByTimeAsync(2000);
    await settle(3);
    expect(w.emitted('fail')![0][0]).toMatchObject({ reason: 'closed', out_trade_no: 'T-CLOSED' });
    // the order is over: nothing left to scan
    expect(w.find('.vk-pay__qr').exists()).toBe(false);
    expect(w.find('.vk-pay__modal').text()).toContain('The order was closed without payment');
    await vi.advanceTimersByTimeAsync(60_000);
    await settle();
    expect(queriesOf()).toHaveLength(2);
  });

  it('keeps polling through retryable errors (40010) and stops at a non-retryable one (40005)', async () => {
    script.create = created('T-ERR', { kind: 'code_url', code_url: 'weixin://x' });
    script.queries = [
      { code: 40010, msg: 'system busy', action: 'retry later' },
      { code: 40005, msg: 'order does not exist: T-ERR', action: 'check the order number' },
    ];
    const w = mountPay();
    await clickPay(w);
    await vi.advanceTimersByTimeAsync(1000);
    await settle(2);
    expect(w.emitted('fail')).toBeUndefined();
    await vi.advanceTimersByTimeAsync(2000);
    await settle(3);
    expect(w.emitted('fail')![0][0]).toMatchObject({ reason: 'error', code: 40005 });
    await vi.advanceTimersByTimeAsync(60_000);
    await settle();
    expect(queriesOf()).toHaveLength(2);
  });

  it('gives up after the overall timeout with fail(reason timeout)', async () => {
    script.create = created('T-SLOW', { kind: 'code_url', code_url: 'weixin://x' });
    script.queries = [pending('T-SLOW')];
    const w = mountPay({ pollTimeoutMs: 20_000 });
    await clickPay(w);
    // 1s, 3s, 6s, 11s and 19s are inside the 20 s budget; the answer at 27 s is the last one asked for
    for (const d of [1000, 2000, 3000, 5000, 8000, 8000]) await expectQueryAfter(d);
    await vi.advanceTimersByTimeAsync(60_000);
    await settle();
    const fails = w.emitted('fail')!;
    expect(fails).toHaveLength(1);
    expect(fails[0][0]).toMatchObject({ reason: 'timeout', out_trade_no: 'T-SLOW' });
    expect(queriesOf()).toHaveLength(6);
  });
});

describe('<vk-pay> errors and events', () => {
  it('shows the error table message and action for the code in a modal and emits fail', async () => {
    script.create = { code: 40007, msg: 'insufficient balance: card declined', action: 'ask the person to top up' };
    const w = mountPay();
    await clickPay(w);
    await w.vm.$nextTick();
    const expected = describeError(40007, 'en');
    const modal = w.find('.vk-pay__modal');
    expect(modal.exists()).toBe(true);
    expect(modal.find('.vk-pay__modal-title').text()).toBe(expected.msg);
    expect(modal.find('.vk-pay__modal-action').text()).toBe(expected.action);
    expect(modal.find('.vk-pay__modal-code').text()).toContain('40007');
    // the developer's detail reaches the fail event and the console, never the payer's modal
    expect(modal.text()).not.toContain('card declined');
    expect(modal.text()).not.toContain('insufficient balance');
    expect(w.emitted('fail')![0][0]).toMatchObject({ reason: 'error', code: 40007, msg: expected.msg, action: expected.action, detail: 'card declined' });
    await modal.find('button').trigger('click');
    expect(w.find('.vk-pay__modal').exists()).toBe(false);
  });

  it('shows the Chinese message with lang zh', async () => {
    script.create = { code: 40006, msg: 'order already paid', action: 'no need to pay again; query the order' };
    const w = mountPay({ lang: 'zh' });
    await clickPay(w);
    await w.vm.$nextTick();
    expect(w.find('.vk-pay__modal-title').text()).toBe(describeError(40006, 'zh').msg);
  });

  it('opens uni.requestPayment-style payments on the platform and emits cancel without polling when backed out', async () => {
    const payment: ClientPayment = { kind: 'requestPayment', params: { timeStamp: '1', nonceStr: 'n', package: 'prepay_id=wx1', signType: 'RSA', paySign: 's' } };
    script.create = created('T-CANCEL', payment);
    script.queries = [pending('T-CANCEL')];
    bridge.outcome = 'cancel';
    const w = mountPay({ payType: 'mp' });
    await clickPay(w);
    expect(bridge.paid).toEqual([{ provider: 'wxpay', payment }]);
    expect(w.emitted('cancel')![0][0]).toEqual({ out_trade_no: 'T-CANCEL' });
    await vi.advanceTimersByTimeAsync(30_000);
    await settle();
    expect(queriesOf()).toHaveLength(0);
  });

  it('a WeChat virtual payment goes to the platform as the server signed it; backing out is a cancel', async () => {
    const payment: ClientPayment = { kind: 'virtualPayment', mode: 'short_series_coin', signData: '{"offerId":"1","buyQuantity":60,"env":1,"currencyType":"CNY","outTradeNo":"T-VCANCEL1","attach":""}', paySig: 'p', signature: 's' };
    script.create = created('T-VCANCEL1', payment);
    script.queries = [pending('T-VCANCEL1')];
    bridge.outcome = 'cancel';
    const w = mountPay({ provider: 'wxpay-virtual', payType: 'mp' });
    await clickPay(w);
    expect(bridge.paid).toEqual([{ provider: 'wxpay-virtual', payment }]);
    expect(w.emitted('cancel')![0][0]).toEqual({ out_trade_no: 'T-VCANCEL1' });
    await vi.advanceTimersByTimeAsync(30_000);
    await settle();
    expect(queriesOf()).toHaveLength(0);
  });

  it('after the sheet says ok it still asks the server, and emits created then success', async () => {
    script.create = created('T-OK', { kind: 'order_string', order_string: 'app_id=1&biz_content=x' });
    script.queries = [final('T-OK', 'paid')];
    const w = mountPay({ provider: 'alipay', payType: 'app' });
    await clickPay(w);
    expect(w.emitted('created')![0][0]).toMatchObject({ out_trade_no: 'T-OK', amount: 100 });
    expect(w.emitted('success')).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1000);
    await settle(2);
    expect(w.emitted('success')![0][0]).toMatchObject({ status: 'paid' });
  });

  it('a failing payment sheet shows the modal (50000) and does not poll', async () => {
    script.create = created('T-SHEET', { kind: 'trade_no', trade_no: '2024X' });
    bridge.outcome = new Error('requestPayment:fail internal');
    const w = mountPay({ provider: 'alipay', payType: 'mp' });
    await clickPay(w);
    await w.vm.$nextTick();
    // the payer reads that the payment was not completed; the sheet's errMsg is the developer's
    expect(w.emitted('fail')![0][0]).toMatchObject({ reason: 'failed', out_trade_no: 'T-SHEET', detail: 'requestPayment:fail internal' });
    expect(w.find('.vk-pay__modal-title').text()).toBe('The payment was not completed');
    expect(w.find('.vk-pay__modal').text()).not.toContain('requestPayment');
    expect(queriesOf()).toHaveLength(0);
  });

  it('a payment the provider refused ends as failed, with the provider\'s reason on its own line', async () => {
    script.create = created('T-DECLINED', { kind: 'code_url', code_url: 'weixin://wxpay/bizpayurl?pr=x' });
    const closed = { code: 0, msg: 'ok', data: { out_trade_no: 'T-DECLINED', status: 'closed', amount: 100, refunded_amount: 0, close_reason: 'failed', provider_reason: '银行卡余额不足' } };
    script.queries = [closed];
    const w = mountPay({ lang: 'zh' });
    await clickPay(w);
    await vi.advanceTimersByTimeAsync(1000);
    await settle(3);
    expect(w.emitted('fail')![0][0]).toMatchObject({ reason: 'failed', provider_reason: '银行卡余额不足' });
    expect(w.find('.vk-pay__modal-title').text()).toBe('支付未成功');
    expect(w.find('.vk-pay__modal-reason').text()).toBe('原因：银行卡余额不足');
    expect(calls.map((c) => c.method)).toEqual(['createPayment', 'queryPayment', 'getPaymentResult']);
  });

  it('Cancel asks the server to close the order (cancelPayment), stops polling and emits cancel', async () => {
    script.create = created('T-BACK', { kind: 'code_url', code_url: 'weixin://wxpay/bizpayurl?pr=y' });
    script.queries = [{ code: 0, msg: 'ok', data: { out_trade_no: 'T-BACK', status: 'closed', amount: 100, refunded_amount: 0 } }];
    const w = mountPay();
    await clickPay(w);
    await w.find('.vk-pay__cancel').trigger('click');
    await settle(3);
    expect(calls.map((c) => c.method)).toEqual(['createPayment', 'cancelPayment']);
    expect(calls[1].body).toEqual({ out_trade_no: 'T-BACK' });
    expect(w.emitted('cancel')![0][0]).toEqual({ out_trade_no: 'T-BACK' });
    expect(w.find('.vk-pay__modal').exists()).toBe(false);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(queriesOf()).toHaveLength(0);
  });

  it('a Cancel that comes after the money went through ends in success', async () => {
    script.create = created('T-LATE', { kind: 'code_url', code_url: 'weixin://wxpay/bizpayurl?pr=z' });
    script.queries = [final('T-LATE', 'paid')];
    const w = mountPay();
    await clickPay(w);
    await w.find('.vk-pay__cancel').trigger('click');
    await settle(3);
    expect(w.emitted('cancel')).toBeUndefined();
    expect(w.emitted('success')![0][0]).toMatchObject({ status: 'paid' });
  });

  it('in H5 redirect mode sends the return URL to the server and leaves for the payment page it answers', async () => {
    const h5 = 'http://pay.example/cashier/wxpay/T-REDIR?prepay_id=p1&redirect_url=http%3A%2F%2Fapp.example%2F%23%2Fpages%2Fresult%2Fresult';
    script.create = created('T-REDIR', { kind: 'h5_url', h5_url: h5 });
    script.queries = [pending('T-REDIR')];
    const w = mountPay({ payType: 'h5', h5Redirect: true, returnUrl: 'http://app.example/#/pages/result/result' });
    await clickPay(w);
    expect(calls[0].body.return_url).toBe('http://app.example/#/pages/result/result');
    expect(bridge.redirected).toEqual([h5]);
    expect(usePaymentStore().lastOrderNo()).toBe('T-REDIR');
    // the button to open it again stays, and the component keeps asking the server while the tab is still here
    await w.find('.vk-pay__link').trigger('click');
    expect(bridge.opened).toEqual([h5]);
  });
});

describe('<vk-pay> App Store (iOS App)', () => {
  const TOKEN = '3f1b6c1e-4b9a-5d2e-8c7f-1a2b3c4d5e6f';
  const payment: ClientPayment = { kind: 'appleiap', orderInfo: { productid: 'coins.60', quantity: 1, username: TOKEN, manualFinishTransaction: true } };
  const bought = { transactionIdentifier: '2000000123', transactionReceipt: 'MIIT' + 'A'.repeat(40), transactionState: '1', payment: { productid: 'coins.60', username: TOKEN } };

  function storeKit(finished: Array<{ id?: string; serverCallsBefore: string[] }>) {
    bridge.storeKit = {
      purchase: async () => bought,
      finish: async (tx) => { finished.push({ id: tx.transactionIdentifier, serverCallsBefore: calls.map((c) => c.method) }); },
      restore: async () => [],
    };
    const memory = new Map<string, string>();
    bridge.orderMemory = { remember: (t, o) => { memory.set(t, o); }, orderOf: (t) => memory.get(t), forget: (t) => { memory.delete(t); } };
  }

  it('buys with StoreKit, has the server verify what the device got, finishes the transaction only then, and shows paid', async () => {
    script.create = created('T-APPLE', payment);
    script.queries = [final('T-APPLE', 'paid')];
    const finished: Array<{ id?: string; serverCallsBefore: string[] }> = [];
    storeKit(finished);
    const w = mountPay({ provider: 'appleiap', payType: 'app', type: 'coins', goodsId: 'c60', amount: undefined });
    await clickPay(w, 2);
    expect(calls[1]).toMatchObject({ method: 'verifyApplePurchase', body: { out_trade_no: 'T-APPLE', transaction_id: '2000000123', receipt: bought.transactionReceipt } });
    expect(finished).toEqual([{ id: '2000000123', serverCallsBefore: ['createPayment', 'verifyApplePurchase'] }]);
    expect(bridge.paid).toHaveLength(0); // not the WeChat/Alipay sheet
    await vi.advanceTimersByTimeAsync(1000);
    await settle(calls.length + 1);
    expect(w.emitted('success')![0][0]).toMatchObject({ out_trade_no: 'T-APPLE', status: 'paid' });
  });

  it('a purchase the server refuses shows the error and is not finished (StoreKit keeps it)', async () => {
    script.create = created('T-APPLE-NO', payment);
    script.queries = [{ code: 40001, msg: 'the App Store transaction belongs to another order', errCode: 40001, errMsg: 'x' }];
    const finished: Array<{ id?: string; serverCallsBefore: string[] }> = [];
    storeKit(finished);
    const w = mountPay({ provider: 'appleiap', payType: 'app', type: 'coins', goodsId: 'c60', amount: undefined });
    await clickPay(w, 2);
    expect(calls.map((c) => c.method)).toEqual(['createPayment', 'verifyApplePurchase']);
    expect(finished).toHaveLength(0);
    expect(w.emitted('fail')![0][0]).toMatchObject({ reason: 'error', code: 40001, out_trade_no: 'T-APPLE-NO' });
  });
});
